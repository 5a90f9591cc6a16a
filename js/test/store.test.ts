import { describe, expect, it } from "vitest";
import type { WireMessage } from "../src/protocol";
import {
  type ChatState,
  type StoreEvent,
  Store,
  classifyDeltas,
  initialState,
  pinnedMessages,
  reduce,
  windowMessages,
} from "../src/store";
import { makeMessage } from "./fake-kernel";

const range = (from: number, to: number): WireMessage[] => {
  const out: WireMessage[] = [];
  for (let n = from; n <= to; n++) out.push(makeMessage(n));
  return out;
};

function run(events: StoreEvent[], state: ChatState = initialState()): ChatState {
  return events.reduce(reduce, state);
}

const latest = (messages: WireMessage[], feedSeq: number, hasMore = false): StoreEvent => ({
  type: "page",
  messages,
  hasMore,
  feedSeq,
  mode: "replace",
  reachesLatest: true,
});

const orders = (state: ChatState): unknown[] => windowMessages(state).map((m) => m.order);

describe("pages", () => {
  it("a first page loads the window and its feed position", () => {
    const state = run([latest(range(5, 10), 42, true)]);
    expect(orders(state)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(state).toMatchObject({ loaded: true, hasOlder: true, atLatest: true, feedSeq: 42 });
  });

  it("older pages prepend, sort, and take hasMore only when they extend backwards", () => {
    let state = run([latest(range(5, 10), 3, true)]);
    state = reduce(state, { type: "page", messages: range(1, 4), hasMore: false, feedSeq: 3, mode: "merge", reachesLatest: false });
    expect(orders(state)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(state.hasOlder).toBe(false);
    // A merge that does not reach further back leaves hasOlder alone.
    state = reduce(state, { type: "page", messages: range(8, 9), hasMore: true, feedSeq: 3, mode: "merge", reachesLatest: false });
    expect(state.hasOlder).toBe(false);
    expect(orders(state)).toHaveLength(10);
  });

  it("a merged page does not advance feedSeq past deltas not yet pushed", () => {
    let state = run([latest(range(5, 10), 3, true)]);
    state = reduce(state, { type: "page", messages: range(1, 4), hasMore: false, feedSeq: 5, mode: "merge", reachesLatest: false });
    expect(state.feedSeq).toBe(3);
    state = reduce(state, { type: "deltas", first: 4, items: [{ op: "upsert", message: makeMessage(11) }, { op: "remove", id: "m1" }] });
    expect(orders(state)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(state.feedSeq).toBe(5);
  });

  it("a page answered before newer deltas does not overwrite them or revive deleted messages", () => {
    let state = run([latest(range(1, 5), 10)]);
    const edited = { ...makeMessage(3), text: "edited", edited: true };
    state = reduce(state, { type: "deltas", first: 11, items: [{ op: "upsert", message: edited }, { op: "remove", id: "m4" }] });
    state = reduce(state, { type: "page", messages: range(1, 5), hasMore: false, feedSeq: 9, mode: "merge", reachesLatest: true });
    expect(state.byId.get("m3")?.text).toBe("edited");
    expect(state.byId.has("m4")).toBe(false);
    expect(state.feedSeq).toBe(12);
  });
});

describe("deltas", () => {
  const loaded = run([latest(range(1, 3), 7)]);

  it("classifies pushes against the feed position", () => {
    expect(classifyDeltas(initialState(), 1, 1)).toBe("not-loaded");
    expect(classifyDeltas(loaded, 8, 1)).toBe("applied");
    expect(classifyDeltas(loaded, 6, 3)).toBe("applied");
    expect(classifyDeltas(loaded, 5, 2)).toBe("stale");
    expect(classifyDeltas(loaded, 9, 1)).toBe("gap");
  });

  it("appends new messages at the latest end and advances feedSeq", () => {
    const state = reduce(loaded, { type: "deltas", first: 8, items: [{ op: "upsert", message: makeMessage(4) }] });
    expect(orders(state)).toEqual([1, 2, 3, 4]);
    expect(state.feedSeq).toBe(8);
  });

  it("is idempotent: a repeated or overlapping push applies each delta once", () => {
    const push: StoreEvent = { type: "deltas", first: 8, items: [{ op: "upsert", message: makeMessage(4) }] };
    const once = reduce(loaded, push);
    expect(reduce(once, push)).toBe(once);
    const overlap = reduce(once, {
      type: "deltas",
      first: 8,
      items: [{ op: "upsert", message: makeMessage(4) }, { op: "remove", id: "m1" }],
    });
    expect(orders(overlap)).toEqual([2, 3, 4]);
    expect(overlap.feedSeq).toBe(9);
  });

  it("leaves the state untouched on a gap, so the session can catch up", () => {
    expect(reduce(loaded, { type: "deltas", first: 10, items: [{ op: "remove", id: "m1" }] })).toBe(loaded);
  });

  it("edits in place and re-sorts when the order changes", () => {
    const state = reduce(loaded, {
      type: "deltas",
      first: 8,
      items: [{ op: "upsert", message: { ...makeMessage(1), order: 10, text: "moved" } }],
    });
    expect(windowMessages(state).map((m) => m.id)).toEqual(["m2", "m3", "m1"]);
  });

  it("ignores upserts that fall into unloaded history on either side", () => {
    let state = run([latest(range(10, 12), 1, true)]);
    state = reduce(state, { type: "deltas", first: 2, items: [{ op: "upsert", message: makeMessage(3) }] });
    expect(orders(state)).toEqual([10, 11, 12]);
    state = reduce(state, { type: "evict", max: 2, keep: "older" });
    expect(state.atLatest).toBe(false);
    state = reduce(state, { type: "deltas", first: 3, items: [{ op: "upsert", message: makeMessage(13) }] });
    expect(orders(state)).toEqual([10, 11]);
    expect(state.feedSeq).toBe(3);
  });

  it("catch-up applies its deltas and jumps to its feedSeq", () => {
    const state = reduce(loaded, {
      type: "caught-up",
      deltas: [{ op: "upsert", message: makeMessage(4) }, { op: "remove", id: "m2" }],
      feedSeq: 12,
    });
    expect(orders(state)).toEqual([1, 3, 4]);
    expect(state.feedSeq).toBe(12);
  });

  it("reset forgets the window but keeps pending sends", () => {
    let state = reduce(loaded, {
      type: "pending-add",
      pending: { localId: "l1", kind: "text", text: "hi", to: [], time: 0, status: "sending" },
    });
    state = reduce(state, { type: "reset" });
    expect(state.loaded).toBe(false);
    expect(state.ids).toEqual([]);
    expect(state.feedSeq).toBe(0);
    expect(state.pending).toHaveLength(1);
  });
});

describe("pinned messages", () => {
  it("are tracked from pages and deltas and survive eviction", () => {
    let state = run([latest([...range(1, 4), { ...makeMessage(5), pinned: true }], 1)]);
    expect(pinnedMessages(state).map((m) => m.id)).toEqual(["m5"]);
    state = reduce(state, { type: "deltas", first: 2, items: [{ op: "upsert", message: { ...makeMessage(2), pinned: true } }] });
    expect(pinnedMessages(state).map((m) => m.id)).toEqual(["m5", "m2"]);
    state = reduce(state, { type: "evict", max: 2, keep: "newer" });
    expect(orders(state)).toEqual([4, 5]);
    expect(pinnedMessages(state).map((m) => m.id)).toEqual(["m5", "m2"]);
    state = reduce(state, { type: "deltas", first: 3, items: [{ op: "upsert", message: makeMessage(2) }] });
    state = reduce(state, { type: "deltas", first: 4, items: [{ op: "remove", id: "m5" }] });
    expect(pinnedMessages(state)).toEqual([]);
  });
});

describe("eviction", () => {
  it("drops the far end and records that more exists there", () => {
    const state = run([latest(range(1, 100), 1)]);
    const keepNewer = reduce(state, { type: "evict", max: 30, keep: "newer" });
    expect(orders(keepNewer)[0]).toBe(71);
    expect(keepNewer.hasOlder).toBe(true);
    expect(keepNewer.byId.size).toBe(30);
    const keepOlder = reduce(state, { type: "evict", max: 30, keep: "older" });
    expect(orders(keepOlder).at(-1)).toBe(30);
    expect(keepOlder.atLatest).toBe(false);
    expect(reduce(state, { type: "evict", max: 500, keep: "older" })).toBe(state);
  });
});

describe("pending sends", () => {
  it("are added, updated and removed by local id", () => {
    let state = reduce(initialState(), {
      type: "pending-add",
      pending: { localId: "l1", kind: "file", fileName: "a.bin", to: [], time: 0, status: "sending", progress: 0 },
    });
    state = reduce(state, { type: "pending-update", localId: "l1", patch: { progress: 0.5 } });
    expect(state.pending[0]?.progress).toBe(0.5);
    state = reduce(state, { type: "pending-update", localId: "l1", patch: { status: "failed", error: { code: "upload_refused", message: "too big" } } });
    expect(state.pending[0]).toMatchObject({ status: "failed", error: { code: "upload_refused" } });
    state = reduce(state, { type: "pending-remove", localId: "l1" });
    expect(state.pending).toEqual([]);
  });
});

describe("Store", () => {
  it("notifies subscribers only on change and never mutates the previous state", () => {
    const store = new Store();
    const seen: number[] = [];
    const unsubscribe = store.subscribe((state) => seen.push(state.ids.length));
    const first = store.dispatch(latest(range(1, 3), 1));
    const frozenIds = [...first.ids];
    store.dispatch({ type: "deltas", first: 2, items: [{ op: "upsert", message: makeMessage(4) }] });
    store.dispatch({ type: "deltas", first: 2, items: [{ op: "upsert", message: makeMessage(4) }] });
    expect(seen).toEqual([3, 4]);
    expect(first.ids).toEqual(frozenIds);
    unsubscribe();
    store.dispatch({ type: "reset" });
    expect(seen).toEqual([3, 4]);
  });
});
