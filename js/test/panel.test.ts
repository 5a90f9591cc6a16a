// @vitest-environment jsdom
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MediaCache } from "../src/media";
import { ChatSession } from "../src/session";
import { type Panel, mountPanel } from "../src/view/panel";
import widget from "../src/index";
import { FakeKernel } from "./fake-kernel";
import { installFakeLayout } from "./fake-layout";

const ROW_HEIGHT = 40;
beforeAll(() => {
  installFakeLayout();
  URL.createObjectURL = vi.fn(() => "blob:http://localhost/x");
  URL.revokeObjectURL = vi.fn();
});

let mounted: Panel[] = [];
afterEach(() => {
  for (const panel of mounted) panel.destroy();
  mounted = [];
  document.body.replaceChildren();
});

function setup(count = 30, traits: Record<string, unknown> = {}, pageSize = 20) {
  const kernel = new FakeKernel(count);
  kernel.traits.set("self_info", { user_id: "ada", display_name: "Ada Lovelace", permissions: { can_pin: true } });
  kernel.traits.set("participants", [{ user_id: "bob", display_name: "Bob" }]);
  kernel.traits.set("connection_state", "connected");
  kernel.traits.set("limits", { max_text_length: 50, max_upload_bytes: null });
  kernel.traits.set("title", "Standup");
  kernel.traits.set("media_mode", "auto");
  for (const [k, v] of Object.entries(traits)) kernel.traits.set(k, v);
  const invoker = new Invoker(kernel);
  const session = new ChatSession(invoker, { pageSize });
  const media = new MediaCache(invoker);
  const mount = (): Panel => {
    const el = document.createElement("div");
    document.body.appendChild(el);
    const panel = mountPanel(el, { model: kernel, session, media, measure: () => ROW_HEIGHT });
    mounted.push(panel);
    return panel;
  };
  return { kernel, session, mount };
}

const keys = (panel: Panel): string[] => [...panel.root.querySelectorAll<HTMLElement>("article[data-key]")].map((a) => a.dataset.key!);
const click = (el: Element | null | undefined): void => {
  if (!el) throw new Error("nothing to click");
  (el as HTMLElement).click();
};

describe("the chat panel", () => {
  it("loads the newest page and shows it as a feed of articles at the bottom", async () => {
    const { mount, kernel } = setup(300, {}, 100);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m300"));
    expect(panel.root.querySelector(".rtkw-title")?.textContent).toBe("Standup");
    expect(panel.root.querySelector("[role='status']")?.textContent).toBe("Connected");
    const feed = panel.root.querySelector("[role='feed']")!;
    expect(feed.getAttribute("aria-busy")).toBe("false");
    // 100 loaded, only the viewport (400 px of 40 px rows) plus overscan rendered.
    expect(keys(panel).length).toBeLessThan(30);
    expect(feed.querySelector("article")?.getAttribute("aria-setsize")).toBe("-1");
    expect(kernel.requests("page")).toHaveLength(1);
  });

  it("says when the first page could not be loaded and tries again on request", async () => {
    const { mount, kernel } = setup(3);
    kernel.failNext.set("page", { code: "disconnected", message: "offline" });
    const panel = mount();
    await vi.waitFor(() => expect(panel.root.querySelector(".rtkw-history-note")?.textContent).toBe("Messages could not be loaded."));
    expect(panel.status.errorShown).toContain("Not connected");
    click(panel.root.querySelector(".rtkw-feed-area > .rtkw-button"));
    await vi.waitFor(() => expect(keys(panel)).toEqual(["m1", "m2", "m3"]));
    expect(panel.root.querySelector(".rtkw-start-marker")?.textContent).toBe("Start of the chat");
  });

  it("shares one store between views of the same model", async () => {
    const { mount, kernel } = setup(5);
    const a = mount();
    const b = mount();
    await vi.waitFor(() => expect(keys(b)).toEqual(["m1", "m2", "m3", "m4", "m5"]));
    expect(keys(a)).toEqual(keys(b));
    expect(kernel.requests("page")).toHaveLength(1);
    kernel.addAndPush({ text: "both see this" });
    expect(keys(a).at(-1)).toBe("m6");
    expect(keys(b).at(-1)).toBe("m6");
  });

  it("follows new messages at the bottom and announces them; otherwise counts them", async () => {
    const { mount, kernel } = setup(30);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m30"));
    kernel.addAndPush({ userId: "bob", displayName: "Bob", text: "first" });
    expect(keys(panel).at(-1)).toBe("m31");
    expect(panel.root.querySelector("[aria-live='polite']")?.textContent).toBe("Bob: first");
    expect(panel.feed.newButton.hidden).toBe(true);
    panel.feed.scroller.scrollTop = 0;
    panel.feed.scroller.dispatchEvent(new Event("scroll"));
    kernel.addAndPush({ userId: "bob", displayName: "Bob" });
    kernel.addAndPush({ userId: "bob", displayName: "Bob" });
    expect(panel.feed.newButton.hidden).toBe(false);
    expect(panel.feed.newButton.textContent).toBe("2 new messages ↓");
    click(panel.feed.newButton);
    await vi.waitFor(() => expect(panel.feed.newButton.hidden).toBe(true));
    expect(keys(panel).at(-1)).toBe("m33");
  });

  it("loads older pages when scrolled to the top", async () => {
    const { mount, kernel } = setup(60);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m60"));
    panel.feed.scroller.scrollTop = 0;
    panel.feed.scroller.dispatchEvent(new Event("scroll"));
    await vi.waitFor(() => expect(kernel.requests("page").length).toBeGreaterThan(1));
    expect(kernel.requests("page")[1]?.content.msg).toEqual({ before: 41, limit: 20 });
  });

  it("lists pinned messages and jumps to one far back", async () => {
    const { mount, kernel } = setup(200);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m200"));
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message: { ...kernel.messages[9]!, pinned: true } }) });
    expect(panel.pinned.el.hidden).toBe(false);
    expect(panel.pinned.el.textContent).toContain("Pinned (1)");
    click(panel.pinned.el.querySelector(".rtkw-pinned-toggle"));
    click(panel.pinned.el.querySelector("[data-message-id='m10']"));
    await vi.waitFor(() => expect(keys(panel)).toContain("m10"));
    const row = panel.root.querySelector<HTMLElement>("article[data-key='m10']")!;
    expect(row.classList.contains("rtkw-highlight")).toBe(true);
    expect(document.activeElement).toBe(row);
    expect(row.querySelector(".rtkw-pinned")).not.toBeNull();
    // The jump replaced the window: nothing new arrived, so no "new messages" button.
    expect(panel.feed.newButton.hidden).toBe(true);
    expect(panel.root.querySelector(".rtkw-start-marker")?.textContent).toBe("Start of the chat");
  });

  it("jumps on a scroll-to push from Python", async () => {
    const { mount, kernel } = setup(100);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m100"));
    // Focus is somewhere else on the page (a notebook cell); a jump from Python must leave it there.
    const cell = document.body.appendChild(document.createElement("textarea"));
    cell.focus();
    kernel.push({ kind: "scroll-to", messageId: "m50" });
    await vi.waitFor(() => expect(panel.root.querySelector("article[data-key='m50']")?.classList.contains("rtkw-highlight")).toBe(true));
    expect(document.activeElement).toBe(cell);
    // The message holds the list's tab stop, so Tab into the list lands on it.
    expect(panel.root.querySelector<HTMLElement>("article[data-key='m50']")!.tabIndex).toBe(0);
  });

  it("edits your message inline: Enter saves, Escape cancels", async () => {
    const { mount, kernel } = setup(3);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    const row = (): HTMLElement => panel.root.querySelector<HTMLElement>("article[data-key='m3']")!;
    click(row().querySelector("[data-action='edit']"));
    let input = row().querySelector<HTMLTextAreaElement>("textarea")!;
    expect(document.activeElement).toBe(input);
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(row().querySelector("textarea")).toBeNull();
    click(row().querySelector("[data-action='edit']"));
    input = row().querySelector<HTMLTextAreaElement>("textarea")!;
    input.value = "fixed typo";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await vi.waitFor(() => expect(row().querySelector(".rtkw-edited")).not.toBeNull());
    expect(kernel.requests("edit")[0]?.content.msg).toEqual({ messageId: "m3", text: "fixed typo" });
    expect(row().querySelector(".rtkw-text")?.textContent).toBe("fixed typo");
  });

  it("moves between messages with the arrow keys and back to the composer with Escape", async () => {
    const { mount } = setup(3);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    const row = (key: string): HTMLElement => panel.root.querySelector<HTMLElement>(`article[data-key='${key}']`)!;
    row("m3").focus();
    row("m3").dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(row("m2"));
    row("m2").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(panel.composer.textarea);
  });

  it("deletes your message only after confirmation", async () => {
    const { mount, kernel } = setup(3);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    const row = (): HTMLElement | null => panel.root.querySelector<HTMLElement>("article[data-key='m3']");
    click(row()!.querySelector("[data-action='ask-delete']"));
    expect(kernel.requests("delete")).toHaveLength(0);
    click(row()!.querySelector("[data-action='cancel-delete']"));
    expect(row()!.querySelector(".rtkw-confirm")).toBeNull();
    click(row()!.querySelector("[data-action='ask-delete']"));
    click(row()!.querySelector("[data-action='confirm-delete']"));
    await vi.waitFor(() => expect(row()).toBeNull());
    expect(kernel.requests("delete")[0]?.content.msg).toEqual({ messageId: "m3" });
  });

  it("never shows a sent message and its pending row together, even when the delta overtakes the response", async () => {
    const { mount, kernel } = setup(2);
    kernel.silent.add("send");
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m2"));
    const doubled: string[][] = [];
    const check = (): void => {
      const shown = keys(panel);
      if (shown.includes("m3") && shown.some((k) => k.startsWith("local-"))) doubled.push(shown);
    };
    const observer = new MutationObserver(check);
    observer.observe(panel.root, { childList: true, subtree: true });
    panel.composer.textarea.value = "hello";
    panel.composer.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", cancelable: true }));
    await vi.waitFor(() => expect(keys(panel).some((k) => k.startsWith("local-"))).toBe(true));
    const request = kernel.requests("send")[0]!;
    const message = kernel.newMessage({ userId: "ada", text: "hello" });
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message: { ...message, localId: request.content.msg!.localId as string } }) });
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    kernel.push({ kind: "send-response", id: request.content.id, response: { message } });
    await vi.waitFor(() => expect(panel.root.querySelector(".rtkw-pending")).toBeNull());
    check();
    observer.disconnect();
    expect(doubled).toEqual([]);
    expect(keys(panel).filter((k) => k === "m3")).toHaveLength(1);
  });

  it("sends from the composer, privately when a recipient is chosen", async () => {
    const { mount, kernel } = setup(2);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m2"));
    panel.composer.recipient.value = "bob";
    panel.composer.textarea.value = "just for you";
    panel.composer.textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", cancelable: true }));
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    expect(kernel.requests("send")[0]?.content.msg).toEqual({ text: "just for you", to: ["bob"], localId: expect.stringMatching(/^local-/) });
    expect(panel.root.querySelector("article[data-key='m3'] .rtkw-private")?.textContent).toBe("to Bob");
  });

  it("explains failures in a dismissible alert, including last_error", async () => {
    const { mount, kernel } = setup(1);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m1"));
    kernel.failNext.set("send", { code: "rate_limited", message: "slow", retryAfterMs: 2000 });
    panel.composer.textarea.value = "hi";
    panel.composer.submit();
    await vi.waitFor(() => expect(panel.status.errorShown).toBe("You are sending too fast. Try again in 2 s."));
    const alert = panel.root.querySelector("[role='alert']")!;
    expect(alert.hasAttribute("hidden")).toBe(false);
    expect(panel.root.querySelector(".rtkw-pending .rtkw-failed")?.textContent).toContain("Not sent");
    click(alert.querySelector("button"));
    expect(panel.status.errorShown).toBeNull();
    kernel.set("last_error", { code: "upload_refused", message: "files over 10 MB are refused" });
    expect(panel.status.errorShown).toBe("The upload was refused: files over 10 MB are refused");
    kernel.set("connection_state", "reconnecting");
    expect(panel.root.querySelector("[role='status']")?.textContent).toBe("Connection lost, reconnecting…");
  });

  it("opens images in a lightbox that Escape closes, restoring focus", async () => {
    const { mount, kernel } = setup(1, { trusted_media_origins: ["https://f.example"] });
    kernel.messages.push(kernel.newMessage({ type: "image", name: "cat.png", link: "https://f.example/cat.png", text: undefined }));
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m2"));
    const opener = panel.root.querySelector<HTMLButtonElement>("[data-action='open-image']")!;
    opener.focus();
    click(opener);
    const dialog = panel.root.parentElement!.querySelector("[role='dialog']")!;
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(dialog.querySelector("img")?.getAttribute("src")).toBe("https://f.example/cat.png");
    expect(dialog.contains(document.activeElement)).toBe(true);
    // Tab stays inside the dialog in both directions.
    const buttons = [...dialog.querySelectorAll("button")];
    buttons.at(-1)!.focus();
    dialog.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(buttons[0]);
    dialog.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(buttons.at(-1));
    dialog.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(panel.lightbox.isOpen).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it("attaches dropped and pasted files, then uploads them with progress", async () => {
    const { mount, kernel } = setup(1);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m1"));
    const file = new File(["hello"], "notes.txt", { type: "text/plain" });
    const drop = new Event("drop", { bubbles: true, cancelable: true }) as DragEvent;
    Object.defineProperty(drop, "dataTransfer", { value: { files: [file], types: ["Files"] } });
    panel.root.dispatchEvent(drop);
    expect(panel.composer.attachments).toEqual([file]);
    panel.composer.submit();
    await vi.waitFor(() => expect(keys(panel)).toContain("m2"));
    expect(kernel.requests("upload-chunk")).toHaveLength(1);
    expect(panel.root.querySelector("article[data-key='m2'] .rtkw-file-name")?.textContent).toBe("notes.txt");
  });

  it("removes every listener and element on destroy", async () => {
    const { mount, kernel } = setup(3);
    const before = kernel.onCount;
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m3"));
    expect(kernel.onCount).toBeGreaterThan(before);
    panel.destroy();
    mounted = [];
    expect(kernel.onCount).toBe(before);
    expect(document.querySelector(".rtkw-root")).toBeNull();
  });
});

describe("the anywidget entry", () => {
  it("wires the comm in initialize and cleans up views and the model", async () => {
    const kernel = new FakeKernel(4);
    kernel.traits.set("self_info", { user_id: "ada", display_name: "Ada", permissions: {} });
    const experimental = { invoke: vi.fn() };
    const disposeModel = await widget.initialize({ model: kernel as never, experimental });
    expect(kernel.onCount).toBe(1);
    const el = document.createElement("div");
    document.body.appendChild(el);
    const disposeView = await widget.render({ model: kernel as never, el, experimental });
    await vi.waitFor(() => expect(el.querySelectorAll("article")).toHaveLength(4));
    if (typeof disposeView === "function") await disposeView();
    expect(el.children).toHaveLength(0);
    if (typeof disposeModel === "function") await disposeModel();
    expect(kernel.onCount).toBe(0);
  });
});
