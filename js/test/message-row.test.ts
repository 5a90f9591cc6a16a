// @vitest-environment jsdom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { Identities, idTag } from "../src/format/identity";
import { MediaCache } from "../src/media";
import type { WireMessage } from "../src/protocol";
import { type RowContext, audienceLabel, extensionLabel, renderRow } from "../src/view/message-row";
import { type Row, buildRows, continuesGroup } from "../src/view/rows";
import { XSS_PAYLOADS, audit } from "./dom-audit";
import { FakeKernel, makeMessage } from "./fake-kernel";

beforeAll(() => {
  let n = 0;
  URL.createObjectURL = vi.fn(() => `blob:http://localhost/${++n}`);
  URL.revokeObjectURL = vi.fn();
});

const kernel = new FakeKernel();
const media = new MediaCache(new Invoker(kernel));

function ctx(overrides: Partial<RowContext> = {}): RowContext {
  const names: Record<string, string> = { bob: "Bob", carol: "Carol", ada: "Ada Lovelace" };
  return {
    selfId: "ada",
    canPin: true,
    nameOf: (id) => names[id] ?? null,
    mediaAccess: { mode: "auto", trustedOrigins: new Set(["https://f.example", "https://down.example"]) },
    media,
    now: 1_700_000_000_000 + 10 * 60_000,
    editingId: null,
    confirmingDeleteId: null,
    identities: new Identities([
      { userId: "ada", displayName: "Ada Lovelace" },
      { userId: "bob", displayName: "Bob" },
    ]),
    ...overrides,
  };
}

function row(message: WireMessage, groupStart = true, c: RowContext = ctx()): HTMLElement {
  const r: Row = { kind: "message", key: message.id, message, groupStart, own: message.userId === c.selfId };
  return renderRow(r, 4, 10, c);
}

describe("message rows", () => {
  it("show name, initials avatar, time with full-date tooltip, and the text", () => {
    const el = row(makeMessage(1, { text: "hello *world*" }));
    expect(el.tagName).toBe("ARTICLE");
    expect(el.getAttribute("aria-posinset")).toBe("5");
    expect(el.getAttribute("aria-setsize")).toBe("10");
    expect(el.querySelector(".rtkw-name")?.textContent).toBe("Bob");
    expect(el.querySelector(".rtkw-avatar")?.textContent).toBe("B");
    const time = el.querySelector("time")!;
    expect(time.getAttribute("datetime")).toBe(new Date(1_700_000_060_000).toISOString());
    expect(time.title.length).toBeGreaterThan(10);
    expect(el.querySelector(".rtkw-text strong")?.textContent).toBe("world");
  });

  it("set your own messages apart and offer edit and delete on them only", () => {
    const own = row(makeMessage(3));
    expect(own.classList.contains("rtkw-own")).toBe(true);
    expect(own.querySelector(".rtkw-you")?.textContent).toBe("You");
    expect(own.querySelector(".rtkw-id-tag")).toBeNull();
    const labels = [...own.querySelectorAll("button")].map((b) => b.getAttribute("aria-label"));
    expect(labels).toEqual(["Edit message", "Pin message", "Delete message"]);
    const other = row(makeMessage(1));
    expect([...other.querySelectorAll("button")].map((b) => b.getAttribute("aria-label"))).toEqual(["Pin message"]);
    const noPin = row(makeMessage(1), true, ctx({ canPin: false }));
    expect(noPin.querySelector(".rtkw-actions")).toBeNull();
  });

  it("continuation rows drop the header but keep the name for screen readers", () => {
    const el = row(makeMessage(1), false);
    expect(el.querySelector(".rtkw-header")).toBeNull();
    expect(el.querySelector(".rtkw-sr")?.textContent).toBe("Bob:");
  });

  it("mark edited, pinned and private messages", () => {
    const el = row(makeMessage(1, { edited: true, pinned: true, targetUserIds: ["ada"] }));
    expect(el.querySelector(".rtkw-edited")?.textContent).toBe("(edited)");
    expect(el.querySelector(".rtkw-pinned")?.textContent).toBe("Pinned");
    expect(el.querySelector(".rtkw-private")?.textContent).toBe("to you");
    // Private messages cannot be pinned.
    expect(el.querySelector("[data-action='unpin'], [data-action='pin']")).toBeNull();
    const mine = row(makeMessage(3, { targetUserIds: ["bob", "carol"] }));
    expect(mine.querySelector(".rtkw-private")?.textContent).toBe("to Bob, Carol");
    expect(audienceLabel(makeMessage(3, { targetUserIds: ["ada", "bob"] }), ctx())).toBe("to Bob");
    expect(row(makeMessage(1, { pinned: true })).querySelector("[data-action='unpin']")).not.toBeNull();
  });

  it("label private messages by name, excluding the sender and you, never with a raw id", () => {
    const uuid = "972756f3-9c2b-4924-8a1a-e63fa19b730d";
    const label = (n: number, targets: string[]): string | null => audienceLabel(makeMessage(n, { targetUserIds: targets }), ctx());
    // Yours (m3 is Ada's): the server lists you among the targets; only the others are named.
    expect(label(3, ["bob", "ada"])).toBe("to Bob");
    expect(label(3, ["bob", "carol", "ada"])).toBe("to Bob, Carol");
    expect(label(3, ["bob", uuid, "ada"])).toBe("to Bob and 1 other");
    expect(label(3, [uuid, "ada"])).toBe("private");
    // Received (m1 is Bob's), with the sender among the targets as RealtimeKit sends it.
    expect(label(1, ["ada", "bob"])).toBe("to you");
    expect(label(1, ["ada", "bob", "carol"])).toBe("to you, Carol");
    expect(label(1, ["ada", "bob", uuid])).toBe("to you, 1 other");
    expect(label(1, ["bob", uuid])).toBe("private");
    for (const targets of [["bob", uuid, "ada"], [uuid, "ada"], ["ada", uuid]]) {
      for (const n of [1, 3]) expect(label(n, targets)).not.toContain(uuid);
    }
  });

  it("truncate long file names but keep the full, neutralised name in a tooltip", () => {
    const long = `${"quarterly-report-".repeat(10)}\u202Egnp.pdf`;
    const el = row(makeMessage(1, { type: "file", name: long, size: 10, link: "https://f.example/2", text: undefined }));
    const name = el.querySelector<HTMLElement>(".rtkw-file-name")!;
    expect(name.textContent!.endsWith("…")).toBe(true);
    expect(name.title).toBe(`${"quarterly-report-".repeat(10)}<U+202E>gnp.pdf`);
    expect(name.title).not.toContain("\u202E");
  });

  it("render files as a card with a readable size and a download button", () => {
    const el = row(makeMessage(1, { type: "file", name: "report.pdf", size: 1536, link: "https://f.example/1", text: undefined }));
    expect(el.querySelector(".rtkw-file-name")?.textContent).toBe("report.pdf");
    expect(el.querySelector(".rtkw-file-size")?.textContent).toBe("1.5 KB");
    const download = el.querySelector<HTMLButtonElement>("[data-action='download']")!;
    expect(download.textContent).toBe("Download");
    expect(download.getAttribute("aria-label")).toBe("Download report.pdf");
    expect(el.querySelector(".rtkw-file-icon")?.textContent).toBe("PDF");
    expect([extensionLabel("archive.tar.gz"), extensionLabel("README"), extensionLabel("x.verylongext")]).toEqual(["GZ", "FILE", "FILE"]);
  });

  it("render images from a trusted origin's link in auto mode, and through the kernel in kernel mode", async () => {
    const message = makeMessage(1, { type: "image", name: "cat.png", link: "https://f.example/cat.png", text: undefined });
    const direct = row(message);
    const img = direct.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("https://f.example/cat.png");
    expect(img.alt).toBe("cat.png");
    expect(img.closest("button")?.getAttribute("aria-label")).toBe("Open image cat.png");
    const viaKernel = row(message, true, ctx({ mediaAccess: { mode: "kernel", trustedOrigins: new Set() } }));
    await vi.waitFor(() => expect(viaKernel.querySelector("img")?.getAttribute("src")).toMatch(/^blob:/));
    expect(kernel.requests("media").at(-1)?.content.msg).toEqual({ link: "https://f.example/cat.png" });
    // A link the browser must not load is never used directly; direct mode then gives up.
    const unsafe = row({ ...message, link: "javascript:alert(1)" }, true, ctx({ mediaAccess: { mode: "direct", trustedOrigins: new Set() } }));
    expect(unsafe.querySelector("img")).toBeNull();
    expect(unsafe.querySelector(".rtkw-media-error")?.textContent).toBe("Image unavailable");
  });

  it("falls back to the kernel when a direct image fails in auto mode", async () => {
    const el = row(makeMessage(1, { type: "image", name: "x.png", link: "https://down.example/x.png", text: undefined }));
    const img = el.querySelector("img")!;
    img.dispatchEvent(new Event("error"));
    await vi.waitFor(() => expect(img.getAttribute("src")).toMatch(/^blob:/));
  });

  it("neutralise bidi controls in names and file names", () => {
    const el = row(makeMessage(1, { displayName: "Mallory\u202E", type: "file", name: "invoice\u202Efdp.exe", size: 1, text: undefined }));
    expect(el.querySelector(".rtkw-name")?.textContent).toBe("Mallory<U+202E>");
    expect(el.querySelector("bdi.rtkw-file-name")?.textContent).toBe("invoice<U+202E>fdp.exe");
    expect(el.textContent).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });

  it("mark identity apart from the name: a You badge, an id tag for others, lookalikes flagged", () => {
    // A participant who calls themselves "Ada Lovelace (you)": the name is theirs to choose, the marks are not.
    const identities = new Identities([
      { userId: "ada", displayName: "Ada Lovelace" },
      { userId: "mallory", displayName: "Ada Lovelace (you)" },
      { userId: "bob", displayName: "Bob" },
    ]);
    const spoof = row(makeMessage(1, { userId: "mallory", displayName: "Ada Lovelace (you)" }), true, ctx({ identities }));
    const mine = row(makeMessage(3, { displayName: "Ada Lovelace" }), true, ctx({ identities }));
    expect(spoof.querySelector(".rtkw-name")?.textContent).toBe("Ada Lovelace (you)");
    expect(spoof.querySelector(".rtkw-you")).toBeNull();
    const tag = spoof.querySelector(".rtkw-id-tag")!;
    expect(tag.classList.contains("rtkw-lookalike")).toBe(true);
    expect(tag.textContent).toContain(idTag("mallory"));
    expect(mine.querySelector(".rtkw-you")?.textContent).toBe("You");
    // Bob's name is his alone: a plain tag, no warning.
    const bob = row(makeMessage(1), true, ctx({ identities }));
    expect(bob.querySelector(".rtkw-id-tag")?.textContent).toBe(idTag("bob"));
    expect(bob.querySelector(".rtkw-lookalike")).toBeNull();
    // The marks are elements of their own, never part of the name's text.
    expect(spoof.querySelector(".rtkw-name")?.contains(tag)).toBe(false);
  });

  it("show invisible characters at the edges of names instead of trimming them", () => {
    const el = row(makeMessage(1, { displayName: "\uFEFFBob\u2028", userId: "bobby" }));
    expect(el.querySelector(".rtkw-name")?.textContent).toBe("<U+FEFF>Bob<U+2028>");
    expect(el.querySelector(".rtkw-lookalike")).not.toBeNull();
  });

  it("show the inline editor and the delete confirmation", () => {
    const editing = row(makeMessage(3), true, ctx({ editingId: "m3" }));
    expect(editing.querySelector<HTMLTextAreaElement>("textarea")?.value).toBe("message 3");
    const confirming = row(makeMessage(3), true, ctx({ confirmingDeleteId: "m3" }));
    expect(confirming.querySelector(".rtkw-confirm")?.textContent).toContain("Delete this message?");
  });

  it("render pending and failed sends", () => {
    const sending = renderRow({ kind: "pending", key: "l1", pending: { localId: "l1", kind: "file", fileName: "a.bin", to: [], time: 0, status: "sending", progress: 0.5 } }, 0, 1, ctx());
    expect(sending.getAttribute("aria-busy")).toBe("");
    expect(sending.querySelector("progress")?.getAttribute("value")).toBe("0.5");
    const failed = renderRow({ kind: "pending", key: "l2", pending: { localId: "l2", kind: "text", text: "hi", to: [], time: 0, status: "failed", error: { code: "rate_limited", message: "slow down" } } }, 0, 1, ctx());
    expect(failed.textContent).toContain("Not sent: slow down");
    expect(failed.querySelector("[data-action='discard']")).not.toBeNull();
    expect(failed.querySelector("[data-action='retry']")).not.toBeNull();
    expect(sending.querySelector("[data-action='cancel-upload']")?.getAttribute("aria-label")).toBe("Cancel upload");
  });

  it.each(XSS_PAYLOADS)("render %j inertly in every field", (payload) => {
    const c = ctx({ nameOf: () => payload });
    const messages = [
      makeMessage(1, { text: payload, displayName: payload, userId: payload }),
      makeMessage(3, { text: payload, targetUserIds: [payload] }),
      makeMessage(2, { type: "file", name: payload, link: payload, size: 5, displayName: payload, text: undefined }),
      makeMessage(4, { type: "image", name: payload, link: payload, displayName: payload, text: undefined }),
      makeMessage(5, { type: "custom", text: payload, displayName: payload, edited: true, pinned: true }),
    ];
    for (const message of messages) {
      const el = row(message, true, c);
      const report = audit(el);
      expect(report).toEqual({ onAttributes: [], unexpectedTags: [], badLinks: [], styled: [] });
      expect(el.querySelectorAll("script, svg, iframe, form, style, math, use")).toHaveLength(0);
      for (const img of el.querySelectorAll("img")) expect(img.getAttribute("src") ?? "").not.toMatch(/^(javascript|data):/i);
    }
  });
});

describe("grouping", () => {
  it("groups consecutive messages from one sender within five minutes and the same audience", () => {
    const a = makeMessage(1);
    expect(continuesGroup(a, { ...makeMessage(2), userId: a.userId, time: a.time + 60_000 })).toBe(true);
    expect(continuesGroup(a, { ...makeMessage(2), userId: a.userId, time: a.time + 6 * 60_000 })).toBe(false);
    expect(continuesGroup(a, { ...makeMessage(2), userId: "zed" })).toBe(false);
    expect(continuesGroup(a, { ...makeMessage(2), userId: a.userId, targetUserIds: ["x"] })).toBe(false);
    expect(continuesGroup(undefined, a)).toBe(false);
  });

  it("builds rows that reuse unchanged entries and append pending sends", () => {
    const messages = [makeMessage(1), makeMessage(2), makeMessage(3)];
    const rows = buildRows(messages, [], "ada");
    expect(rows.map((r) => r.kind === "message" && [r.groupStart, r.own])).toEqual([[true, false], [false, false], [true, true]]);
    const again = buildRows(messages, [{ localId: "l", kind: "text", text: "x", to: [], time: 0, status: "sending" }], "ada", new Map(rows.map((r) => [r.key, r])));
    expect(again[0]).toBe(rows[0]);
    expect(again.at(-1)?.kind).toBe("pending");
  });
});
