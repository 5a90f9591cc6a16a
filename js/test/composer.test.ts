// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { idTag } from "../src/format/identity";
import { Composer } from "../src/view/composer";

function setup(max = 20) {
  const sent: { text: string; files: File[]; to: string[] }[] = [];
  let editLast = 0;
  const composer = new Composer({ onSend: (d) => sent.push(d), onEditLast: () => editLast++ });
  document.body.replaceChildren(composer.el);
  composer.setLimits(max);
  const type = (text: string): void => {
    composer.textarea.value = text;
    composer.textarea.dispatchEvent(new Event("input"));
  };
  const key = (key: string, init: KeyboardEventInit = {}): boolean =>
    composer.textarea.dispatchEvent(new KeyboardEvent("keydown", { key, cancelable: true, ...init }));
  return { composer, sent, type, key, editLast: () => editLast };
}

describe("Composer", () => {
  it("sends on Enter and clears, keeps Shift+Enter for a newline", () => {
    const { composer, sent, type, key } = setup();
    type("hello");
    expect(key("Enter", { shiftKey: true })).toBe(true);
    expect(sent).toEqual([]);
    expect(key("Enter")).toBe(false);
    expect(sent).toEqual([{ text: "hello", files: [], to: [] }]);
    expect(composer.textarea.value).toBe("");
  });

  it("does not send while composing with an IME, nor empty text", () => {
    const { sent, type, key, composer } = setup();
    type("かな");
    key("Enter", { isComposing: true });
    type("   ");
    key("Enter");
    expect(sent).toEqual([]);
    expect(composer.sendButton.disabled).toBe(true);
  });

  it("shows a counter near the limit and blocks sending over it", () => {
    const { composer, sent, type, key } = setup(20);
    type("short");
    expect(composer.counter.hidden).toBe(true);
    type("x".repeat(18));
    expect(composer.counter.hidden).toBe(false);
    expect(composer.counter.textContent).toBe("2 characters left");
    type("🦊".repeat(21));
    expect(composer.counter.textContent).toBe("1 character over the limit of 20");
    expect(composer.counter.classList.contains("rtkw-over")).toBe(true);
    expect(composer.sendButton.disabled).toBe(true);
    key("Enter");
    expect(sent).toEqual([]);
    expect(composer.textarea.getAttribute("aria-describedby")).toBe(composer.counter.id);
  });

  it("offers Everyone plus the other participants, and sends privately to the one chosen", () => {
    const { composer, sent, type, key } = setup();
    composer.setParticipants(
      [
        { userId: "ada", displayName: "Ada" },
        { userId: "bob", displayName: "Bob\u202E" },
      ],
      "ada",
    );
    expect([...composer.recipient.options].map((o) => [o.value, o.textContent])).toEqual([
      ["", "Everyone"],
      ["bob", "Bob<U+202E>"],
    ]);
    composer.recipient.value = "bob";
    type("psst");
    key("Enter");
    expect(sent[0]?.to).toEqual(["bob"]);
    composer.setParticipants([], "ada");
    expect(composer.recipient.value).toBe("");
    // Someone named like you, or two people named alike, are told apart by their id tags.
    composer.setParticipants(
      [
        { userId: "eve", displayName: "Ada (you)" },
        { userId: "bob", displayName: "Bob" },
      ],
      "ada",
      "Ada",
    );
    expect([...composer.recipient.options].map((o) => o.textContent)).toEqual(["Everyone", `Ada (you) ${idTag("eve")}`, "Bob"]);
  });

  it("holds attachments as removable chips and sends them with the text", () => {
    const { composer, sent, type } = setup();
    const a = new File(["abc"], "a.txt", { type: "text/plain" });
    const b = new File(["x".repeat(2048)], "b\u202Egnp.js", { type: "application/javascript" });
    composer.addFiles([a, b]);
    expect([...composer.el.querySelectorAll(".rtkw-chip bdi")].map((e) => e.textContent)).toEqual(["a.txt", "b<U+202E>gnp.js"]);
    expect(composer.sendButton.disabled).toBe(false);
    composer.el.querySelector<HTMLButtonElement>(".rtkw-chip button")!.click();
    expect(composer.attachments).toEqual([b]);
    type("caption");
    composer.sendButton.click();
    expect(sent).toEqual([{ text: "caption", files: [b], to: [] }]);
    expect(composer.el.querySelectorAll(".rtkw-chip")).toHaveLength(0);
  });

  it("refuses files over the upload limit before uploading them", () => {
    const rejected: string[] = [];
    const composer = new Composer({ onSend: () => {}, onRejectFile: (m) => rejected.push(m) });
    composer.setLimits(100, 1024);
    const small = new File(["x"], "ok.txt");
    composer.addFiles([small, new File([new Uint8Array(2048)], "big.bin")]);
    expect(composer.attachments).toEqual([small]);
    expect(rejected).toEqual(["big.bin is 2 KB; the limit is 1 KB."]);
  });

  it("follows permissions", () => {
    const { composer, type, key, sent } = setup();
    composer.setPermissions(false, false, false);
    expect(composer.textarea.disabled).toBe(true);
    expect(composer.recipient.hidden).toBe(true);
    composer.addFiles([new File(["a"], "a")]);
    expect(composer.attachments).toEqual([]);
    type("hi");
    key("Enter");
    expect(sent).toEqual([]);
  });

  it("edits the last message on Arrow Up in an empty composer", () => {
    const { key, type, editLast } = setup();
    key("ArrowUp");
    expect(editLast()).toBe(1);
    type("draft");
    key("ArrowUp");
    expect(editLast()).toBe(1);
  });
});
