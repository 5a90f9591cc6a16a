import { describe, expect, it, vi } from "vitest";
import { Invoker, type RequestError } from "../src/invoke";
import { ChatSession } from "../src/session";
import { windowMessages } from "../src/store";
import { CHUNK_SIZE, uploadFile } from "../src/upload";
import { FakeKernel } from "./fake-kernel";

function setup(count: number, options: ConstructorParameters<typeof ChatSession>[1] = {}) {
  const kernel = new FakeKernel(count);
  const invoker = new Invoker(kernel);
  const session = new ChatSession(invoker, { pageSize: 10, ...options });
  const errors: RequestError[] = [];
  session.onError((e) => errors.push(e));
  return { kernel, invoker, session, errors };
}

const ids = (session: ChatSession): string[] => windowMessages(session.state).map((m) => m.id);

describe("loading", () => {
  it("loads the newest page once, however many views ask", async () => {
    const { kernel, session } = setup(25);
    await Promise.all([session.ensureLoaded(), session.ensureLoaded(), session.ensureLoaded()]);
    expect(kernel.requests("page")).toHaveLength(1);
    expect(ids(session)).toEqual(Array.from({ length: 10 }, (_, i) => `m${16 + i}`));
    expect(session.state.hasOlder).toBe(true);
  });

  it("pages backwards to the start and evicts beyond maxLoaded", async () => {
    const { session } = setup(45, { maxLoaded: 25 });
    await session.ensureLoaded();
    await session.loadOlder();
    await session.loadOlder();
    expect(session.state.ids.length).toBe(25);
    expect(ids(session)[0]).toBe("m16");
    expect(ids(session).at(-1)).toBe("m40");
    expect(session.state.atLatest).toBe(false);
    await session.loadOlder();
    expect(ids(session)[0]).toBe("m6");
    await session.loadOlder();
    expect(ids(session)[0]).toBe("m1");
    expect(session.state.hasOlder).toBe(false);
    // Coming back down reloads newer pages until the window reaches the latest again.
    for (let i = 0; i < 5 && !session.state.atLatest; i++) await session.loadNewer();
    expect(session.state.atLatest).toBe(true);
    expect(ids(session).at(-1)).toBe("m45");
    expect(session.state.ids.length).toBeLessThanOrEqual(25);
  });

  it("jumps to a pinned message far back, loading the pages around it", async () => {
    const { kernel, session } = setup(200);
    kernel.messages[49] = { ...kernel.messages[49]!, pinned: true };
    await session.ensureLoaded();
    // The pinned bar knows it from a page or a delta; here from a delta.
    kernel.push({ kind: "deltas", ...kernel.change({ op: "upsert", message: kernel.messages[49]! }) });
    expect(session.state.pinned.has("m50")).toBe(true);
    expect(await session.jumpTo("m50")).toBe(true);
    expect(ids(session)).toContain("m50");
    expect(ids(session)).toContain("m54");
    expect(session.state.atLatest).toBe(false);
  });

  it("walks older pages to find a message it has never seen, within a bound", async () => {
    const { session } = setup(100, { maxJumpPages: 3 });
    expect(await session.jumpTo("m75")).toBe(true);
    expect(await session.jumpTo("m5")).toBe(false);
  });
});

describe("pushes", () => {
  it("applies in-order deltas and ignores repeats", async () => {
    const { kernel, session } = setup(3);
    await session.ensureLoaded();
    const message = kernel.addAndPush();
    expect(ids(session).at(-1)).toBe(message.id);
    kernel.push({ kind: "deltas", first: kernel.feedSeq, items: kernel.log.slice(-1) });
    expect(ids(session).filter((id) => id === message.id)).toHaveLength(1);
    expect(kernel.requests("catch-up")).toHaveLength(0);
  });

  it("keeps memory bounded while new messages keep arriving", async () => {
    const { kernel, session } = setup(10, { maxLoaded: 25 });
    await session.ensureLoaded();
    for (let i = 0; i < 100; i++) kernel.addAndPush();
    expect(session.state.ids.length).toBeLessThanOrEqual(30);
    expect(ids(session).at(-1)).toBe("m110");
    expect(session.state.hasOlder).toBe(true);
    expect(session.state.atLatest).toBe(true);
  });

  it("detects a gap and catches up to the kernel's state", async () => {
    const { kernel, session } = setup(3);
    await session.ensureLoaded();
    kernel.change({ op: "upsert", message: kernel.newMessage() }); // never pushed: lost
    kernel.change({ op: "remove", id: "m1" });
    kernel.addAndPush();
    await vi.waitFor(() => expect(session.state.feedSeq).toBe(kernel.feedSeq));
    expect(kernel.requests("catch-up")[0]?.content.msg).toEqual({ after: 0 });
    expect(ids(session)).toEqual(["m2", "m3", "m4", "m5"]);
  });

  it("catches up when a push overtook the first page", async () => {
    const { kernel, session } = setup(3);
    kernel.silent.add("page");
    const loading = session.ensureLoaded();
    const request = kernel.requests("page")[0]!;
    const snapshot = { messages: [...kernel.messages], hasMore: false, feedSeq: kernel.feedSeq };
    kernel.addAndPush(); // arrives before the page answer and is ignored
    kernel.push({ kind: "page-response", id: request.content.id, response: snapshot });
    await loading;
    await vi.waitFor(() => expect(ids(session)).toEqual(["m1", "m2", "m3", "m4"]));
    expect(kernel.requests("catch-up")[0]?.content.msg).toEqual({ after: 0 });
  });

  it("reloads on reset and when catch-up says reset", async () => {
    const { kernel, session } = setup(3);
    await session.ensureLoaded();
    kernel.messages = kernel.messages.slice(0, 1);
    kernel.overflow();
    await vi.waitFor(() => expect(ids(session)).toEqual(["m1"]));
    kernel.feedSeq = 50;
    kernel.log = [];
    const original = kernel.push.bind(kernel);
    kernel.push = (content: unknown, buffers) => {
      const c = content as { kind: string; id: string };
      if (c.kind === "catch-up-response") original({ kind: c.kind, id: c.id, response: { reset: true } });
      else original(content, buffers);
    };
    kernel.messages.push(kernel.newMessage());
    kernel.push({ kind: "deltas", first: 40, items: [] });
    await vi.waitFor(() => expect(ids(session)).toEqual(["m1", "m4"]));
    expect(session.state.feedSeq).toBe(50);
  });

  it("forwards scroll-to pushes", async () => {
    const { kernel, session } = setup(1);
    const seen: string[] = [];
    session.onScrollTo((id) => seen.push(id));
    kernel.push({ kind: "scroll-to", messageId: "m1" });
    expect(seen).toEqual(["m1"]);
  });
});

describe("actions", () => {
  it("shows a pending send, then the confirmed message once", async () => {
    const { session } = setup(1);
    await session.ensureLoaded();
    const sending = session.sendText("hello", ["bob"]);
    expect(session.state.pending).toMatchObject([{ kind: "text", text: "hello", to: ["bob"], status: "sending" }]);
    const message = await sending;
    expect(message?.targetUserIds).toEqual(["bob", "ada"]); // the sender is listed too, as the real kernel answers
    expect(session.state.pending).toEqual([]);
    expect(ids(session).filter((id) => id === message?.id)).toHaveLength(1);
  });

  it("marks a refused send as failed and reports the error", async () => {
    const { kernel, session, errors } = setup(1);
    await session.ensureLoaded();
    kernel.failNext.set("send", { code: "text_too_long", message: "limit 10" });
    expect(await session.sendText("x".repeat(20))).toBeNull();
    expect(session.state.pending[0]).toMatchObject({ status: "failed", error: { code: "text_too_long" } });
    expect(errors.map((e) => e.code)).toEqual(["text_too_long"]);
    session.discardPending(session.state.pending[0]!.localId);
    expect(session.state.pending).toEqual([]);
  });

  it("retries a failed send as a new send", async () => {
    const { kernel, session } = setup(1);
    await session.ensureLoaded();
    kernel.failNext.set("send", { code: "disconnected", message: "offline" });
    await session.sendText("again", ["bob"]);
    const failed = session.state.pending[0]!;
    const message = await session.retryPending(failed.localId);
    expect(message).toMatchObject({ text: "again", targetUserIds: ["bob", "ada"] });
    expect(session.state.pending).toEqual([]);
    expect(kernel.requests("send")).toHaveLength(2);
  });

  it("cancels an upload in progress without reporting an error", async () => {
    const { kernel, session, errors } = setup(1);
    await session.ensureLoaded();
    kernel.silent.add("upload-chunk");
    const sending = session.sendAttachment({ file: new Blob([new Uint8Array(10)]), name: "a.bin" });
    await vi.waitFor(() => expect(kernel.requests("upload-chunk")).toHaveLength(1));
    session.cancelUpload(session.state.pending[0]!.localId);
    expect(await sending).toBeNull();
    expect(session.state.pending).toEqual([]);
    expect(kernel.requests("cancel")[0]?.content.msg).toEqual({ targetId: kernel.requests("upload-chunk")[0]!.content.id });
    expect(kernel.requests("send")).toHaveLength(0);
    expect(errors).toEqual([]);
  });

  it("edits, pins and deletes", async () => {
    const { session } = setup(3);
    await session.ensureLoaded();
    await session.edit("m2", "changed");
    expect(session.state.byId.get("m2")).toMatchObject({ text: "changed", edited: true });
    await session.setPinned("m2", true);
    expect(session.state.pinned.has("m2")).toBe(true);
    await session.setPinned("m2", false);
    expect(session.state.pinned.has("m2")).toBe(false);
    expect(await session.remove("m2")).toBe(true);
    expect(ids(session)).toEqual(["m1", "m3"]);
  });
});

describe("uploads", () => {
  it("sends ~256 KiB chunks in order, reports progress per acknowledged chunk, then sends", async () => {
    const { kernel, session } = setup(0);
    await session.ensureLoaded();
    const size = CHUNK_SIZE * 2 + 1000;
    const file = new Blob([new Uint8Array(size).fill(7)], { type: "application/pdf" });
    const progress: number[] = [];
    session.store.subscribe((state) => {
      const p = state.pending[0]?.progress;
      if (p !== undefined && p !== progress.at(-1)) progress.push(p);
    });
    const message = await session.sendAttachment({ file, name: "report.pdf" });
    const chunks = kernel.requests("upload-chunk");
    expect(chunks.map((c) => c.content.msg)).toEqual([0, 1, 2].map((index) => ({
      uploadId: chunks[0]!.content.msg!.uploadId,
      index,
      last: index === 2,
      name: "report.pdf",
      mime: "application/pdf",
      size,
    })));
    expect(chunks.map((c) => (c.buffers[0] as ArrayBuffer).byteLength)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 1000]);
    expect(progress).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(kernel.requests("send")[0]?.content.msg).toEqual({
      uploadId: chunks[0]!.content.msg!.uploadId,
      as: "file",
      localId: expect.stringMatching(/^local-/),
    });
    expect(message).toMatchObject({ type: "file", name: "report.pdf", size });
  });

  it("sends raster images as images and an empty file as one chunk", async () => {
    const { kernel, session } = setup(0);
    await session.ensureLoaded();
    await session.sendAttachment({ file: new Blob([], { type: "image/png" }), name: "x.png" }, ["bob"]);
    expect(kernel.requests("upload-chunk")).toHaveLength(1);
    expect(kernel.requests("send")[0]?.content.msg).toMatchObject({ as: "image", to: ["bob"] });
    await session.sendAttachment({ file: new Blob(["<svg/>"], { type: "image/svg+xml" }), name: "x.svg" });
    expect(kernel.requests("send")[1]?.content.msg).toMatchObject({ as: "file" });
  });

  it("stops when aborted and when the kernel refuses a chunk", async () => {
    const { kernel, invoker } = setup(0);
    kernel.failNext.set("upload-chunk", { code: "upload_refused", message: "too large" });
    const file = new Blob([new Uint8Array(CHUNK_SIZE * 3)]);
    await expect(uploadFile(invoker, file, "big.bin")).rejects.toMatchObject({ code: "upload_refused" });
    expect(kernel.requests("upload-chunk")).toHaveLength(1);
    const controller = new AbortController();
    const upload = uploadFile(invoker, file, "big.bin", { signal: controller.signal, onProgress: (p) => p > 0 && controller.abort() });
    await expect(upload).rejects.toMatchObject({ code: "aborted" });
    expect(kernel.requests("upload-chunk")).toHaveLength(2);
  });
});
