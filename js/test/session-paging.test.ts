import { describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MAX_AWAITED_SCROLLS, ChatSession } from "../src/session";
import { pinnedMessages, windowMessages } from "../src/store";
import { FakeKernel } from "./fake-kernel";

function setup(count: number, options: ConstructorParameters<typeof ChatSession>[1] = {}) {
  const kernel = new FakeKernel(count);
  const session = new ChatSession(new Invoker(kernel), { pageSize: 10, ...options });
  return { kernel, session };
}

const ids = (session: ChatSession): string[] => windowMessages(session.state).map((m) => m.id);
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

describe("exact paging around a jump", () => {
  it("loads newer pages forwards from the newest loaded message, with no gap and no guess", async () => {
    const { kernel, session } = setup(100);
    kernel.messages[29] = { ...kernel.messages[29]!, pinned: true };
    await session.ensureLoaded();
    expect(await session.jumpTo("m30")).toBe(true);
    // Half a page before the message, then a forward page starting right after those.
    expect(ids(session)).toEqual(range(25, 39));
    await session.loadNewer();
    expect(ids(session)).toEqual(range(25, 49));
    const newer = kernel.requests("page").at(-1)!.content.msg!;
    expect(newer).toEqual({ after: 39, limit: 10 });
    for (let i = 0; i < 10 && !session.state.atLatest; i++) await session.loadNewer();
    expect(session.state.atLatest).toBe(true);
    expect(ids(session).at(-1)).toBe("m100");
  });

  it("jumps to the very first message from a forward page that starts at the oldest", async () => {
    const { kernel, session } = setup(50);
    kernel.messages[0] = { ...kernel.messages[0]!, pinned: true };
    await session.ensureLoaded();
    expect(await session.jumpTo("m1")).toBe(true);
    expect(ids(session)).toEqual(range(1, 10));
    expect(session.state.hasOlder).toBe(false);
    expect(kernel.requests("page").at(-1)!.content.msg).toEqual({ after: null, limit: 10 });
  });
});

describe("the pinned list", () => {
  it("is the kernel's complete list at load, including messages far outside the first page", async () => {
    const { kernel, session } = setup(300);
    for (const n of [3, 150]) kernel.messages[n - 1] = { ...kernel.messages[n - 1]!, pinned: true };
    await session.ensureLoaded();
    expect(ids(session)).toEqual(range(291, 300));
    expect(pinnedMessages(session.state).map((m) => m.id)).toEqual(["m150", "m3"]);
    expect(kernel.requests("pinned")).toHaveLength(1);
  });

  it("is kept current by deltas and reloaded after a reset", async () => {
    const { kernel, session } = setup(30);
    kernel.messages[4] = { ...kernel.messages[4]!, pinned: true };
    await session.ensureLoaded();
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message: { ...kernel.messages[4]!, pinned: false } }) });
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message: { ...kernel.messages[7]!, pinned: true } }) });
    expect(pinnedMessages(session.state).map((m) => m.id)).toEqual(["m8"]);
    kernel.messages[1] = { ...kernel.messages[1]!, pinned: true };
    kernel.overflow();
    await vi.waitFor(() => expect(pinnedMessages(session.state).map((m) => m.id)).toEqual(["m8", "m2"]));
    expect(kernel.requests("pinned")).toHaveLength(2);
  });

  it("ignores a list older than the deltas already applied", async () => {
    const { session } = setup(5);
    await session.ensureLoaded();
    const stale = { ...windowMessages(session.state)[0]!, pinned: true };
    session.store.dispatch({ type: "pinned", messages: [stale], feedSeq: session.state.feedSeq - 1 });
    expect(session.state.pinned.size).toBe(0);
  });
});

describe("scroll-to before the message's delta", () => {
  it("waits for the delta, then scrolls once", async () => {
    const { kernel, session } = setup(20);
    await session.ensureLoaded();
    const seen: string[] = [];
    session.onScrollTo((id) => seen.push(id));
    const message = kernel.newMessage();
    kernel.push({ kind: "scroll-to", messageId: message.id, order: message.order });
    expect(seen).toEqual([]);
    expect(session.awaitedScrolls).toBe(1);
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message }) });
    expect(seen).toEqual([message.id]);
    expect(session.awaitedScrolls).toBe(0);
  });

  it("gives up waiting after a bounded time and bounds how many wait", async () => {
    vi.useFakeTimers();
    try {
      const { kernel, session } = setup(5, { scrollWaitMs: 1000 });
      await session.ensureLoaded();
      const seen: string[] = [];
      session.onScrollTo((id) => seen.push(id));
      for (let i = 0; i < MAX_AWAITED_SCROLLS + 3; i++) {
        const message = kernel.newMessage();
        kernel.push({ kind: "scroll-to", messageId: message.id, order: message.order });
      }
      expect(session.awaitedScrolls).toBe(MAX_AWAITED_SCROLLS);
      vi.advanceTimersByTime(1000);
      expect(session.awaitedScrolls).toBe(0);
      expect(seen).toHaveLength(MAX_AWAITED_SCROLLS);
    } finally {
      vi.useRealTimers();
    }
  });

  it("loads the page around an older message at once, using the order Python sent", async () => {
    const { kernel, session } = setup(200);
    await session.ensureLoaded();
    const seen: string[] = [];
    session.onScrollTo((id) => seen.push(id));
    kernel.push({ kind: "scroll-to", messageId: "m60", order: 60 });
    expect(seen).toEqual(["m60"]);
    expect(await session.jumpTo("m60")).toBe(true);
    expect(ids(session)).toEqual(range(55, 69));
  });

  it("clears its timers on dispose", async () => {
    vi.useFakeTimers();
    try {
      const { kernel, session } = setup(5);
      await session.ensureLoaded();
      const seen: string[] = [];
      session.onScrollTo((id) => seen.push(id));
      const message = kernel.newMessage();
      kernel.push({ kind: "scroll-to", messageId: message.id, order: message.order });
      session.dispose();
      vi.runAllTimers();
      expect(seen).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
