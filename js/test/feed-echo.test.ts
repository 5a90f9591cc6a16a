import { afterEach, describe, expect, it, vi } from "vitest";
import { ECHO_COALESCE_MS, echoFeedPosition } from "../src/feed-echo";
import { Store } from "../src/store";
import { makeMessage } from "./fake-kernel";

function model(traits: Record<string, unknown>) {
  const saved: Record<string, unknown>[] = [];
  return {
    saved,
    get: (name: string) => traits[name],
    set: (name: string, value: unknown) => {
      traits[name] = value;
    },
    save_changes: () => saved.push({ ...traits }),
  };
}

afterEach(() => vi.useRealTimers());

describe("the feed position echo (what marimo reacts to)", () => {
  it("saves the applied feed position once per burst of changes", () => {
    vi.useFakeTimers();
    const host = model({ seen_feed_seq: 0 });
    const store = new Store();
    const stop = echoFeedPosition(host, store);
    store.dispatch({ type: "page", messages: [makeMessage(1)], hasMore: false, feedSeq: 4, mode: "replace", reachesLatest: true });
    store.dispatch({ type: "deltas", first: 5, items: [{ op: "upsert", message: makeMessage(2) }] });
    store.dispatch({ type: "deltas", first: 6, items: [{ op: "upsert", message: makeMessage(3) }] });
    expect(host.saved).toEqual([]);
    vi.advanceTimersByTime(ECHO_COALESCE_MS);
    expect(host.saved).toEqual([{ seen_feed_seq: 6 }]);
    stop();
    store.dispatch({ type: "deltas", first: 7, items: [{ op: "remove", id: "m3" }] });
    vi.advanceTimersByTime(ECHO_COALESCE_MS);
    expect(host.saved).toHaveLength(1);
  });

  it("writes nothing to a kernel whose widget has no such trait", () => {
    vi.useFakeTimers();
    const host = model({});
    const store = new Store();
    echoFeedPosition(host, store);
    store.dispatch({ type: "page", messages: [], hasMore: false, feedSeq: 2, mode: "replace", reachesLatest: true });
    vi.advanceTimersByTime(ECHO_COALESCE_MS);
    expect(host.saved).toEqual([]);
  });
});
