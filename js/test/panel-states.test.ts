// @vitest-environment jsdom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MediaCache } from "../src/media";
import { ChatSession } from "../src/session";
import { type Panel, mountPanel } from "../src/view/panel";
import { FakeKernel } from "./fake-kernel";
import { installFakeLayout } from "./fake-layout";
import { mountedPanels } from "./mounted";

beforeAll(() => {
  installFakeLayout();
});

const mounted = mountedPanels();

function setup(count: number, options: { pageSize?: number; timeoutMs?: number; commLive?: boolean } = {}) {
  const kernel = new FakeKernel(count);
  kernel.traits.set("self_info", { user_id: "ada", display_name: "Ada Lovelace", permissions: { can_pin: true } });
  kernel.traits.set("participants", [{ user_id: "bob", display_name: "Bob" }]);
  kernel.traits.set("connection_state", "connected");
  if (options.commLive !== undefined) (kernel as unknown as { comm_live: boolean }).comm_live = options.commLive;
  const invoker = new Invoker(kernel, options.timeoutMs);
  const session = new ChatSession(invoker, { pageSize: options.pageSize ?? 20 });
  const mount = (): Panel => {
    const el = document.createElement("div");
    document.body.appendChild(el);
    const panel = mountPanel(el, { model: kernel, session, media: new MediaCache(invoker), measure: () => 40 });
    mounted.push(panel);
    return panel;
  };
  return { kernel, session, mount };
}

const keys = (panel: Panel): string[] => [...panel.root.querySelectorAll<HTMLElement>("article[data-key]")].map((a) => a.dataset.key!);
const article = (panel: Panel, key: string): HTMLElement => panel.root.querySelector<HTMLElement>(`article[data-key='${key}']`)!;
const press = (el: Element, key: string): void => {
  el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
};

describe("the pinned bar", () => {
  it("lists every pinned message from the start, and a click loads the page around one far back", async () => {
    const { mount, kernel } = setup(300);
    kernel.messages[11] = { ...kernel.messages[11]!, pinned: true };
    const panel = mount();
    await vi.waitFor(() => expect(panel.pinned.el.hidden).toBe(false));
    expect(keys(panel)).not.toContain("m12");
    expect(panel.pinned.el.textContent).toContain("Pinned (1)");
    panel.pinned.el.querySelector<HTMLElement>(".rtkw-pinned-toggle")!.click();
    panel.pinned.el.querySelector<HTMLElement>("[data-message-id='m12']")!.click();
    await vi.waitFor(() => expect(document.activeElement).toBe(article(panel, "m12")));
    expect(kernel.requests("page").at(-1)!.content.msg).toEqual({ after: 11, limit: 20 });
  });

  it("shows pinned text as the row reads it, without markdown markers", async () => {
    const { mount, kernel } = setup(3);
    kernel.messages[0] = { ...kernel.messages[0]!, pinned: true, text: "Can you share the **latest** numbers?" };
    const panel = mount();
    await vi.waitFor(() => expect(panel.pinned.el.hidden).toBe(false));
    expect(panel.pinned.el.querySelector(".rtkw-pinned-toggle")?.textContent).toBe("Pinned (1) · Bob: Can you share the latest numbers?");
  });
});

describe("without a live kernel", () => {
  it("says calmly that it is not connected when the model has no comm, and sends nothing", async () => {
    const { mount, kernel } = setup(3, { commLive: false });
    const panel = mount();
    expect(panel.root.querySelector("[role='status']")?.textContent).toBe("Not connected — run the cell to reconnect");
    expect(panel.root.querySelector(".rtkw-history-note")?.textContent).toBe("Not connected — run the cell to reconnect.");
    expect(panel.status.errorShown).toBeNull();
    expect(kernel.requests("page")).toHaveLength(0);
  });

  it("shows the same calm state, not a timeout alert, when nobody answers the first page", async () => {
    const { mount, kernel } = setup(3, { timeoutMs: 20 });
    kernel.silent.add("page");
    const panel = mount();
    await vi.waitFor(() => expect(panel.root.querySelector("[role='status']")?.textContent).toBe("Not connected — run the cell to reconnect"));
    expect(panel.status.errorShown).toBeNull();
    expect(panel.root.querySelector("[role='alert']")?.hasAttribute("hidden")).toBe(true);
    // Once the kernel answers again, "Try again" loads the messages.
    kernel.silent.delete("page");
    panel.root.querySelector<HTMLElement>(".rtkw-feed-area > .rtkw-button")!.click();
    await vi.waitFor(() => expect(keys(panel)).toEqual(["m1", "m2", "m3"]));
  });
});

describe("times", () => {
  it("are relative for recent messages, with the full date as a tooltip, refreshed on a timer cleared at teardown", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const now = new Date(2025, 0, 15, 12, 0, 0).getTime();
    vi.setSystemTime(now);
    const { mount, kernel } = setup(0);
    kernel.messages.push(kernel.newMessage({ time: now - 5 * 60_000 }), kernel.newMessage({ time: now - 10_000, userId: "carol", displayName: "Carol" }));
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toHaveLength(2));
    const times = (): string[] => [...panel.root.querySelectorAll("time.rtkw-time")].map((t) => t.textContent!);
    expect(times()).toEqual(["5 min", "just now"]);
    expect(panel.root.querySelector("time.rtkw-time")!.getAttribute("title")).toContain("2025");
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    vi.advanceTimersByTime(3 * 60_000);
    expect(times()).toEqual(["8 min", "3 min"]);
    mounted.splice(0).forEach((p) => p.destroy());
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("keyboard", () => {
  it("has one tab stop in the list; arrows move it, Enter opens the actions, Escape returns", async () => {
    const { mount } = setup(5);
    const panel = mount();
    await vi.waitFor(() => expect(keys(panel)).toContain("m5"));
    const tabbable = (): string[] =>
      [...panel.root.querySelectorAll<HTMLElement>(".rtkw-feed-area [tabindex='0']")].map((el) => el.dataset.key ?? el.className);
    expect(tabbable()).toEqual(["m5"]);
    article(panel, "m5").focus();
    press(article(panel, "m5"), "ArrowUp");
    expect(document.activeElement).toBe(article(panel, "m4"));
    expect(tabbable()).toEqual(["m4"]);
    press(article(panel, "m4"), "Home");
    expect(document.activeElement).toBe(article(panel, "m1"));
    press(article(panel, "m1"), "End");
    expect(document.activeElement).toBe(article(panel, "m5"));
    // m3 is Ada's own: Enter moves into its actions (Edit, Pin, Delete).
    press(article(panel, "m5"), "ArrowUp");
    press(article(panel, "m4"), "ArrowUp");
    press(article(panel, "m3"), "Enter");
    expect((document.activeElement as HTMLElement).dataset.action).toBe("edit");
    press(document.activeElement!, "Escape");
    expect(document.activeElement).toBe(article(panel, "m3"));
    press(article(panel, "m3"), " ");
    expect((document.activeElement as HTMLElement).closest(".rtkw-actions")).not.toBeNull();
  });
});
