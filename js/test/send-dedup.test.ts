/**
 * A send from the panel is shown exactly once: as its pending row until the kernel answers, then
 * as its message, whichever of the message's delta and the send's response arrives first.
 */
import { describe, expect, it } from "vitest";
import { Invoker, type RequestError } from "../src/invoke";
import type { WireMessage } from "../src/protocol";
import { ChatSession } from "../src/session";
import { reduce, windowMessages } from "../src/store";
import { FakeKernel } from "./fake-kernel";

interface HeldSend {
  requestId: string;
  localId: string;
  message: WireMessage;
}

/** A kernel whose send answers the test delivers by hand, in whatever order it chooses. */
async function setup(existing = 3) {
  const kernel = new FakeKernel(existing);
  kernel.silent.add("send");
  const session = new ChatSession(new Invoker(kernel), { pageSize: 50 });
  const errors: RequestError[] = [];
  session.onError((e) => errors.push(e));
  await session.ensureLoaded();
  const held: HeldSend[] = [];
  const violations: string[] = [];
  // Checked on every state the store ever holds, so a transient double row fails the test.
  session.store.subscribe((state) => {
    for (const send of held) {
      const pending = state.pending.some((p) => p.localId === send.localId);
      if (pending && state.byId.has(send.message.id)) violations.push(`${send.message.id} shown twice`);
    }
    // A pending row counts as its message once the test knows which message answers it.
    const messageOf = new Map(held.map((s) => [s.localId, s.message.id]));
    const distinct = new Set([...state.ids, ...state.pending.map((p) => messageOf.get(p.localId) ?? p.localId)]);
    const rows = state.ids.length + state.pending.length;
    if (rows > distinct.size) violations.push(`${rows} rows for ${distinct.size} messages`);
  });

  /** The send request just made, and the message the kernel will answer it with. */
  const hold = (text = "hello"): HeldSend => {
    const request = kernel.requests("send")[held.length]!;
    const message = kernel.newMessage({ userId: "ada", text });
    const send = { requestId: request.content.id!, localId: request.content.msg!.localId as string, message };
    held.push(send);
    return send;
  };
  const deliverDelta = (send: HeldSend, withLocalId = true): void => {
    const message = withLocalId ? { ...send.message, localId: send.localId } : send.message;
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message }) });
  };
  const deliverResponse = (send: HeldSend): void =>
    kernel.push({ kind: "send-response", id: send.requestId, response: { message: send.message } });
  const deliverError = (send: HeldSend): void =>
    kernel.push({ kind: "send-response", id: send.requestId, error: { code: "timeout", message: "no answer" } });
  const count = (id: string): number => session.state.ids.filter((x) => x === id).length;
  return { kernel, session, errors, violations, hold, deliverDelta, deliverResponse, deliverError, count };
}

describe("a send from the panel is shown once", () => {
  it("sends a localId unique to this send", async () => {
    const t = await setup();
    void t.session.sendText("one");
    void t.session.sendText("two");
    const [a, b] = [t.hold("one"), t.hold("two")];
    expect(a.localId).toMatch(/^local-/);
    expect(a.localId).not.toBe(b.localId);
    expect(t.session.state.pending.map((p) => p.localId)).toEqual([a.localId, b.localId]);
  });

  it("delta before response: the delta replaces the pending row, the late response changes nothing", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverDelta(send);
    expect(t.session.state.pending).toEqual([]);
    expect(t.count(send.message.id)).toBe(1);
    const before = t.session.state;
    t.deliverResponse(send);
    expect(await sending).toEqual(send.message);
    expect(t.session.state).toBe(before);
    expect(t.violations).toEqual([]);
  });

  it("response before delta: the response replaces the pending row, the delta adds nothing", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverResponse(send);
    await sending;
    expect(t.session.state.pending).toEqual([]);
    expect(t.count(send.message.id)).toBe(1);
    t.deliverDelta(send);
    expect(t.count(send.message.id)).toBe(1);
    expect(windowMessages(t.session.state).at(-1)).toMatchObject({ id: send.message.id, localId: send.localId });
    expect(t.violations).toEqual([]);
  });

  it("the response never overwrites a newer version a delta already brought", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverDelta(send);
    t.kernel.push({ kind: "deltas", ...t.kernel.change({ op: "upsert", message: { ...send.message, text: "edited", edited: true } }) });
    t.deliverResponse(send);
    await sending;
    expect(t.session.state.byId.get(send.message.id)).toMatchObject({ text: "edited", edited: true });
  });

  it("duplicate responses and repeated deltas are no-ops", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverResponse(send);
    await sending;
    const settled = t.session.state;
    t.deliverResponse(send);
    expect(reduce(settled, { type: "sent", localId: send.localId, message: send.message })).toBe(settled);
    t.deliverDelta(send);
    const first = t.session.state.feedSeq;
    t.kernel.push({ kind: "deltas", first, items: [{ op: "upsert", message: { ...send.message, localId: send.localId } }] });
    expect(t.count(send.message.id)).toBe(1);
    expect(t.session.state.pending).toEqual([]);
    expect(t.violations).toEqual([]);
  });

  it("a failure after the delta delivered the message is not reported and leaves no failed row", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverDelta(send);
    t.deliverError(send);
    expect(await sending).toMatchObject({ id: send.message.id });
    expect(t.session.state.pending).toEqual([]);
    expect(t.errors).toEqual([]);
    expect(t.count(send.message.id)).toBe(1);
  });

  it("a failure before any delta still leaves a failed row to retry", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    t.deliverError(send);
    expect(await sending).toBeNull();
    expect(t.session.state.pending).toMatchObject([{ localId: send.localId, status: "failed" }]);
    expect(t.errors.map((e) => e.code)).toEqual(["timeout"]);
  });

  it("a message without a localId (another tab, a cell) leaves the pending row alone", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    const elsewhere = t.kernel.newMessage({ userId: "ada", text: "hello" });
    t.kernel.push({ kind: "deltas", ...t.kernel.change({ op: "upsert", message: elsewhere }) });
    t.kernel.push({ kind: "deltas", ...t.kernel.change({ op: "upsert", message: { ...elsewhere, localId: "local-of-another-tab" } }) });
    expect(t.session.state.pending.map((p) => p.localId)).toEqual([send.localId]);
    t.deliverDelta(send);
    t.deliverResponse(send);
    await sending;
    expect(t.session.state.pending).toEqual([]);
    expect([t.count(elsewhere.id), t.count(send.message.id)]).toEqual([1, 1]);
  });

  it("a page that brings the message (after a reset) also resolves its pending row", async () => {
    const t = await setup();
    const sending = t.session.sendText("hello");
    const send = t.hold();
    // The kernel's feed already holds the message with its localId; the panel only learns it from a page.
    t.kernel.change({ op: "upsert", message: { ...send.message, localId: send.localId } });
    t.kernel.overflow();
    await t.session.ensureLoaded();
    await t.session.loadLatest();
    expect(t.session.state.pending).toEqual([]);
    expect(t.count(send.message.id)).toBe(1);
    t.deliverResponse(send);
    await sending;
    expect(t.count(send.message.id)).toBe(1);
    expect(t.violations).toEqual([]);
  });

  it("many concurrent sends, deltas and responses interleaved: never a row too many", async () => {
    const t = await setup(5);
    const total = 40;
    const sendings = Array.from({ length: total }, () => t.session.sendText("same text"));
    const sends = sendings.map(() => t.hold("same text"));
    // A fixed pseudo-random interleaving (deltas keep feed order, as the kernel sends them).
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let nextDelta = 0;
    const unanswered = sends.map((_, i) => i);
    while (nextDelta < total || unanswered.length) {
      if (nextDelta < total && (unanswered.length === 0 || random() < 0.5)) {
        t.deliverDelta(sends[nextDelta++]!);
        continue;
      }
      const index = unanswered.splice(Math.floor(random() * unanswered.length), 1)[0]!;
      t.deliverResponse(sends[index]!);
      await sendings[index]; // the response is applied before the next delta arrives
    }
    const results = await Promise.all(sendings);
    expect(results.map((m) => m?.id)).toEqual(sends.map((s) => s.message.id));
    expect(t.session.state.pending).toEqual([]);
    expect(t.session.state.ids).toHaveLength(5 + total);
    expect(new Set(t.session.state.ids).size).toBe(5 + total);
    expect(t.violations).toEqual([]);
    expect(t.errors).toEqual([]);
  });
});
