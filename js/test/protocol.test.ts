import { describe, expect, it } from "vitest";
import { ERROR_CODES, KINDS, compareOrder, isWireMessage, parseError, parsePush, responseKind } from "../src/protocol";
import { makeMessage } from "./fake-kernel";

describe("protocol", () => {
  it("names every kind of the ARCHITECTURE.md table once", () => {
    expect(Object.values(KINDS).sort()).toEqual(
      ["cancel", "catch-up", "delete", "deltas", "edit", "media", "page", "pin", "pinned", "ping", "reconnect", "scroll-to", "send", "unpin", "upload-chunk"].sort(),
    );
    expect(responseKind(KINDS.catchUp)).toBe("catch-up-response");
    expect(ERROR_CODES).toContain("rate_limited");
  });

  it("parses pushes and drops malformed or foreign ones", () => {
    const upsert = { op: "upsert", message: makeMessage(1) };
    expect(parsePush({ kind: "deltas", first: 3, items: [upsert, { op: "remove", id: "m2" }] })).toEqual({
      kind: "deltas",
      first: 3,
      items: [upsert, { op: "remove", id: "m2" }],
    });
    expect(parsePush({ kind: "scroll-to", messageId: "m1" })).toEqual({ kind: "scroll-to", messageId: "m1" });
    expect(parsePush({ kind: "scroll-to", messageId: "m1", order: 7 })).toEqual({ kind: "scroll-to", messageId: "m1", order: 7 });
    for (const bad of [
      null,
      "deltas",
      { kind: "deltas", first: "3", items: [] },
      { kind: "deltas", first: 3, items: [{ op: "upsert", message: { id: "x" } }] },
      { kind: "deltas", first: 3, items: [{ op: "drop", id: "x" }] },
      { kind: "scroll-to", messageId: 5 },
      { kind: "page-response", id: "1", response: {} },
      { kind: "reset" }, // never sent: a catch-up reply says reset
    ]) {
      expect(parsePush(bad)).toBeNull();
    }
  });

  it("validates messages", () => {
    expect(isWireMessage(makeMessage(1))).toBe(true);
    expect(isWireMessage({ ...makeMessage(1), targetUserIds: [1] })).toBe(false);
    expect(isWireMessage({ ...makeMessage(1), time: "now" })).toBe(false);
    // The generated guard checks every declared field, not only a few.
    expect(isWireMessage({ ...makeMessage(1), type: "poll" })).toBe(false);
    expect(isWireMessage({ ...makeMessage(1), edited: "no" })).toBe(false);
    expect(isWireMessage({ ...makeMessage(1), size: "12 kB" })).toBe(false);
  });

  it("normalises errors", () => {
    expect(parseError({ code: "rate_limited", message: "m", retryAfterMs: 5 })).toEqual({ code: "rate_limited", message: "m", retryAfterMs: 5 });
    expect(parseError({ code: "weird", message: "m", retryAfterMs: -1 })).toEqual({ code: "internal", message: "m" });
    expect(parseError("boom")).toEqual({ code: "internal", message: "Malformed error" });
  });

  it("orders numbers numerically and strings lexically", () => {
    expect([10, 9, 100].sort(compareOrder)).toEqual([9, 10, 100]);
    expect(["b", "a"].sort(compareOrder)).toEqual(["a", "b"]);
  });
});
