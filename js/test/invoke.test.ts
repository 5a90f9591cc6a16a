import { afterEach, describe, expect, it, vi } from "vitest";
import { Invoker, RequestError } from "../src/invoke";
import { KINDS } from "../src/protocol";
import { FakeKernel, makeMessage } from "./fake-kernel";

afterEach(() => {
  vi.useRealTimers();
});

describe("Invoker", () => {
  it("sends {kind, id, msg} and resolves with the matching response", async () => {
    const kernel = new FakeKernel(5);
    const invoker = new Invoker(kernel);
    const { response } = await invoker.request(KINDS.page, { before: null, limit: 2 });
    expect(response.messages.map((m) => m.id)).toEqual(["m4", "m5"]);
    expect(kernel.sent[0]?.content).toMatchObject({ kind: "page", msg: { before: null, limit: 2 } });
    expect(typeof kernel.sent[0]?.content.id).toBe("string");
    expect(invoker.pendingCount).toBe(0);
  });

  it("runs requests concurrently and matches answers by id", async () => {
    const kernel = new FakeKernel(5);
    const invoker = new Invoker(kernel);
    const [a, b] = await Promise.all([
      invoker.request(KINDS.page, { before: 3, limit: 10 }),
      invoker.request(KINDS.page, { before: null, limit: 1 }),
    ]);
    expect(a.response.messages.map((m) => m.order)).toEqual([1, 2]);
    expect(b.response.messages.map((m) => m.order)).toEqual([5]);
    expect(new Set(kernel.sent.map((s) => s.content.id)).size).toBe(2);
  });

  it("rejects with the kernel's error code, message and retry time", async () => {
    const kernel = new FakeKernel();
    kernel.failNext.set("send", { code: "rate_limited", message: "slow down", retryAfterMs: 1500 });
    const invoker = new Invoker(kernel);
    const error = await invoker.request(KINDS.send, { text: "hi" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: "rate_limited", message: "slow down", retryAfterMs: 1500 });
  });

  it("times out, sends cancel for the request and ignores a late answer", async () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel(1);
    kernel.silent.add("page");
    const invoker = new Invoker(kernel, 1000);
    const pending = invoker.request(KINDS.page, { before: null, limit: 1 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toMatchObject({ code: "timeout" });
    const id = kernel.requests("page")[0]!.content.id;
    expect(kernel.requests("cancel")[0]?.content).toEqual({ kind: "cancel", msg: { targetId: id } });
    kernel.push({ kind: "page-response", id, response: { messages: [], hasMore: false, feedSeq: 0 } });
    expect(invoker.pendingCount).toBe(0);
  });

  it("refuses a response whose shape is not the declared one", async () => {
    const kernel = new FakeKernel(1);
    kernel.silent.add("page");
    const invoker = new Invoker(kernel);
    const pending = invoker.request(KINDS.page, { before: null, limit: 1 }).catch((e: unknown) => e);
    const id = kernel.requests("page")[0]!.content.id;
    kernel.push({ kind: "page-response", id, response: { messages: [{ id: "m1" }], hasMore: false, feedSeq: 0 } });
    expect(await pending).toMatchObject({ code: "internal", message: "Malformed page response from the kernel" });
    expect(invoker.pendingCount).toBe(0);
  });

  it("cancels on abort", async () => {
    const kernel = new FakeKernel();
    kernel.silent.add("media");
    const invoker = new Invoker(kernel);
    const controller = new AbortController();
    const pending = invoker.request(KINDS.media, { link: "x" }, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toMatchObject({ code: "aborted" });
    expect(kernel.requests("cancel")).toHaveLength(1);
    await expect(invoker.request(KINDS.media, { link: "x" }, { signal: controller.signal })).rejects.toMatchObject({ code: "aborted" });
  });

  it("passes buffers both ways", async () => {
    const kernel = new FakeKernel();
    const invoker = new Invoker(kernel);
    const bytes = new Uint8Array([1, 2, 3]).buffer;
    await invoker.request(KINDS.uploadChunk, { uploadId: "u", index: 0, last: true, name: "a", mime: "b", size: 3 }, { buffers: [bytes] });
    expect(kernel.sent[0]?.buffers[0]).toBe(bytes);
    const { response, buffers } = await invoker.request(KINDS.media, { link: "l" });
    expect(response.mime).toBe("image/png");
    expect(new Uint8Array(buffers[0]!.buffer)[0]).toBe(137);
  });

  it("ignores foreign ids and kinds, hands pushes to listeners, and stops on dispose", async () => {
    const kernel = new FakeKernel();
    const invoker = new Invoker(kernel);
    const pushes: unknown[] = [];
    invoker.onPush((p) => pushes.push(p));
    kernel.push({ kind: "page-response", id: "someone-else", response: {} });
    kernel.push({ kind: "unknown-kind" });
    kernel.push({ kind: "deltas", first: 1, items: [{ op: "upsert", message: makeMessage(1) }] });
    kernel.push({ kind: "deltas", first: 1, items: [{ op: "upsert", message: { id: 1 } }] });
    expect(pushes).toHaveLength(1);
    kernel.silent.add("page");
    const pending = invoker.request(KINDS.page, { before: null, limit: 1 }).catch((e: unknown) => e);
    invoker.dispose();
    expect(await pending).toMatchObject({ code: "aborted" });
    expect(kernel.onCount).toBe(0);
  });
});
