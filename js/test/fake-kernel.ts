/**
 * An in-memory stand-in for the Python side of the comm protocol (a feed log with gap-free
 * feed numbers, pages, catch-up, uploads), so the front end can be tested without a kernel.
 * It answers on a microtask, like a comm would, and records everything it received.
 */
import type { Delta, WireMessage } from "../src/protocol";

type Handler = (msg: unknown, buffers: DataView[]) => void;

export interface Sent {
  content: { kind: string; id?: string; msg?: Record<string, unknown> };
  buffers: (ArrayBuffer | ArrayBufferView)[];
}

export function makeMessage(n: number, overrides: Partial<WireMessage> = {}): WireMessage {
  return {
    id: `m${n}`,
    type: "text",
    userId: n % 3 === 0 ? "ada" : "bob",
    displayName: n % 3 === 0 ? "Ada Lovelace" : "Bob",
    time: 1_700_000_000_000 + n * 60_000,
    order: n,
    edited: false,
    pinned: false,
    targetUserIds: [],
    text: `message ${n}`,
    ...overrides,
  };
}

export class FakeKernel {
  readonly sent: Sent[] = [];
  readonly traits = new Map<string, unknown>();
  messages: WireMessage[] = [];
  feedSeq = 0;
  log: Delta[] = [];
  /** The feed number of `log[0]`. */
  logStart = 1;
  /** When set, requests of these kinds are left unanswered. */
  readonly silent = new Set<string>();
  /** When set, the next request of that kind fails with this error. */
  readonly failNext = new Map<string, { code: string; message: string; retryAfterMs?: number }>();
  readonly uploads = new Map<string, { chunks: number; bytes: number; name: string; mime: string }>();
  selfId = "ada";
  // `any` mirrors anywidget's loosely typed event callbacks, so the fake fits every model interface.
  private readonly handlers = new Map<string, Set<(...args: any[]) => void>>();
  private nextOrder = 1;

  constructor(count = 0) {
    for (let i = 0; i < count; i++) this.messages.push(makeMessage(this.nextOrder++));
  }

  get onCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  // ---- the anywidget model surface ----
  get(name: string): unknown {
    return this.traits.get(name);
  }

  set(name: string, value: unknown): void {
    this.traits.set(name, value);
    for (const handler of [...(this.handlers.get(`change:${name}`) ?? [])]) handler(null, value);
  }

  on(event: string, handler: (...args: any[]) => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(handler);
  }

  off(event: string, handler: (...args: any[]) => void): void {
    this.handlers.get(event)?.delete(handler);
  }

  send(content: unknown, _callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void {
    const entry: Sent = { content: content as Sent["content"], buffers: buffers ?? [] };
    this.sent.push(entry);
    const { kind, id, msg } = entry.content;
    if (kind === "cancel" || id === undefined || this.silent.has(kind)) return;
    queueMicrotask(() => this.answer(kind, id, msg ?? {}, entry.buffers));
  }

  /** Delivers a message from "Python" to the front end. */
  push(content: unknown, buffers: DataView[] = []): void {
    for (const handler of [...(this.handlers.get("msg:custom") ?? [])]) (handler as Handler)(content, buffers);
  }

  // ---- the feed, as Python keeps it ----
  /** Applies a change and returns its delta numbered `feedSeq` (without pushing it). */
  change(delta: Delta): { first: number; items: Delta[] } {
    if (delta.op === "upsert") {
      const at = this.messages.findIndex((m) => m.id === delta.message.id);
      if (at >= 0) this.messages[at] = delta.message;
      else this.messages.push(delta.message);
    } else {
      this.messages = this.messages.filter((m) => m.id !== delta.id);
    }
    this.log.push(delta);
    this.feedSeq += 1;
    return { first: this.feedSeq, items: [delta] };
  }

  /**
   * Python's ring of recent deltas overflowed while the panel missed one: the next delta shows
   * the gap and the panel's catch-up is answered `{reset: true}`, so it reloads.
   */
  overflow(): void {
    this.feedSeq += 1;
    this.log = [];
    this.logStart = this.feedSeq + 1;
    this.push({ kind: "deltas", ...this.change({ op: "remove", id: "no-such-message" }) });
  }

  /** Adds a new message and pushes its delta. */
  addAndPush(overrides: Partial<WireMessage> = {}): WireMessage {
    const message = makeMessage(this.nextOrder++, overrides);
    this.push({ kind: "deltas", ...this.change({ op: "upsert", message }) });
    return message;
  }

  newMessage(overrides: Partial<WireMessage> = {}): WireMessage {
    return makeMessage(this.nextOrder++, overrides);
  }

  requests(kind: string): Sent[] {
    return this.sent.filter((s) => s.content.kind === kind);
  }

  private reply(kind: string, id: string, response: unknown, buffers: DataView[] = []): void {
    this.push({ kind: `${kind}-response`, id, response }, buffers);
  }

  private answer(kind: string, id: string, msg: Record<string, unknown>, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    const failure = this.failNext.get(kind);
    if (failure) {
      this.failNext.delete(kind);
      this.push({ kind: `${kind}-response`, id, error: failure });
      return;
    }
    switch (kind) {
      case "page": {
        const limit = msg.limit as number;
        const sorted = [...this.messages].sort((a, b) => (a.order as number) - (b.order as number));
        if ("after" in msg) {
          const after = msg.after as number | null;
          const newer = after === null ? sorted : sorted.filter((m) => (m.order as number) > after);
          return this.reply(kind, id, { messages: newer.slice(0, limit), hasMore: newer.length > limit, feedSeq: this.feedSeq });
        }
        const before = msg.before as number | null;
        const older = before === null ? sorted : sorted.filter((m) => (m.order as number) < before);
        const page = older.slice(Math.max(0, older.length - limit));
        return this.reply(kind, id, { messages: page, hasMore: older.length > page.length, feedSeq: this.feedSeq });
      }
      case "pinned": {
        const pinned = [...this.messages].filter((m) => m.pinned).sort((a, b) => (a.order as number) - (b.order as number));
        return this.reply(kind, id, { messages: pinned, feedSeq: this.feedSeq });
      }
      case "catch-up": {
        const after = msg.after as number;
        // Like Python's bounded ring: deltas before `logStart` are gone.
        if (after + 1 < this.logStart || after > this.feedSeq) return this.reply(kind, id, { reset: true });
        return this.reply(kind, id, { deltas: this.log.slice(after + 1 - this.logStart), feedSeq: this.feedSeq });
      }
      case "upload-chunk": {
        const uploadId = msg.uploadId as string;
        const upload = this.uploads.get(uploadId) ?? { chunks: 0, bytes: 0, name: msg.name as string, mime: msg.mime as string };
        upload.chunks += 1;
        upload.bytes += buffers[0] ? (buffers[0] as ArrayBuffer).byteLength : 0;
        this.uploads.set(uploadId, upload);
        return this.reply(kind, id, { received: upload.bytes });
      }
      case "send": {
        const upload = msg.uploadId ? this.uploads.get(msg.uploadId as string) : undefined;
        const message = this.newMessage({
          userId: this.selfId,
          displayName: "Ada Lovelace",
          type: upload ? (msg.as as "image" | "file") : "text",
          targetUserIds: (msg.to as string[] | undefined) ?? [],
          ...(upload ? { name: upload.name, size: upload.bytes, link: `https://files.example/${msg.uploadId}` } : { text: msg.text as string }),
        });
        // Like the kernel: the delta echoes the send's localId, and may overtake the response.
        const echoed = typeof msg.localId === "string" ? { ...message, localId: msg.localId } : message;
        this.push({ kind: "deltas", ...this.change({ op: "upsert", message: echoed }) });
        return this.reply(kind, id, { message });
      }
      case "edit":
      case "pin":
      case "unpin": {
        const found = this.messages.find((m) => m.id === msg.messageId);
        if (!found) return this.push({ kind: `${kind}-response`, id, error: { code: "not_found", message: "no such message" } });
        const message =
          kind === "edit" ? { ...found, text: msg.text as string, edited: true } : { ...found, pinned: kind === "pin" };
        this.push({ kind: "deltas", ...this.change({ op: "upsert", message }) });
        return this.reply(kind, id, { message });
      }
      case "delete":
        this.push({ kind: "deltas", ...this.change({ op: "remove", id: msg.messageId as string }) });
        return this.reply(kind, id, {});
      case "media": {
        const bytes = new Uint8Array([137, 80, 78, 71]);
        return this.reply(kind, id, { mime: "image/png", name: "pic.png" }, [new DataView(bytes.buffer)]);
      }
    }
  }
}
