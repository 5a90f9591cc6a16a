/**
 * An in-memory stand-in for the Python side of the comm protocol (a feed with gap-free feed
 * numbers, pages, catch-up, uploads), so the front end runs without a kernel: in the unit tests
 * and, bundled by `npm run build`, in the browser harness (`js/dev/harness.html`).
 *
 * It answers like the real handlers: `fake-kernel-contract.test.ts` replays a conversation
 * recorded from them (`fixtures/kernel-transcript.json`, written by `tests/widget/transcript.py`)
 * and checks every reply and delta. It answers on a microtask, like a comm would, and records
 * everything it received.
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

/** The index of the first message whose order is at least `order` (messages ascend by order). */
function firstAtOrAfter(messages: WireMessage[], order: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid]!.order < order) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class FakeKernel {
  readonly sent: Sent[] = [];
  readonly traits = new Map<string, unknown>();
  /** The feed in ascending order (tests may edit it; appends must keep the order). */
  messages: WireMessage[] = [];
  feedSeq = 0;
  log: Delta[] = [];
  /** The feed number of `log[0]`: older deltas are gone, as from Python's bounded ring. */
  logStart = 1;
  /** When set, requests of these kinds are left unanswered. */
  readonly silent = new Set<string>();
  /** When set, the next request of that kind fails with this error. */
  readonly failNext = new Map<string, { code: string; message: string; retryAfterMs?: number }>();
  readonly uploads = new Map<string, { chunks: number; bytes: number; name: string; mime: string }>();
  selfId = "ada";
  selfName = "Ada Lovelace";
  /** How long an answer takes; 0 answers on a microtask. */
  delayMs = 0;
  // `any` mirrors anywidget's loosely typed event callbacks, so the fake fits every model interface.
  private readonly handlers = new Map<string, Set<(...args: any[]) => void>>();
  private nextOrder = 1;

  constructor(count = 0) {
    for (let i = 0; i < count; i++) this.messages.push(makeMessage(this.nextOrder++));
  }

  /** Replaces the history (ascending); new messages continue after its highest order. */
  load(messages: WireMessage[]): void {
    this.messages = [...messages];
    this.nextOrder = messages.reduce((max, m) => Math.max(max, m.order), 0) + 1;
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

  save_changes(): void {}

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
    const answer = () => this.answer(kind, id, msg ?? {}, entry.buffers);
    if (this.delayMs > 0) setTimeout(answer, this.delayMs);
    else queueMicrotask(answer);
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
      else this.messages.splice(firstAtOrAfter(this.messages, delta.message.order), 0, delta.message);
    } else {
      const at = this.messages.findIndex((m) => m.id === delta.id);
      if (at >= 0) this.messages.splice(at, 1);
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

  private fail(kind: string, id: string, code: string, message: string): void {
    this.push({ kind: `${kind}-response`, id, error: { code, message } });
  }

  private sorted(): WireMessage[] {
    // Tests may assign rows out of order; the feed is always ascending, as in Python.
    for (let i = 1; i < this.messages.length; i++) {
      if (this.messages[i - 1]!.order > this.messages[i]!.order) {
        this.messages.sort((a, b) => a.order - b.order);
        break;
      }
    }
    return this.messages;
  }

  private answer(kind: string, id: string, msg: Record<string, unknown>, buffers: (ArrayBuffer | ArrayBufferView)[]): void {
    const failure = this.failNext.get(kind);
    if (failure) {
      this.failNext.delete(kind);
      this.push({ kind: `${kind}-response`, id, error: failure });
      return;
    }
    switch (kind) {
      case "ping":
      case "reconnect":
        return this.reply(kind, id, {});
      case "page": {
        const limit = msg.limit as number;
        if (!(limit >= 1 && limit <= 500)) return this.fail(kind, id, "invalid", `'limit' must be between 1 and 500, got ${limit}`);
        const messages = this.sorted();
        if ("after" in msg) {
          const after = msg.after as number | null;
          const start = after === null ? 0 : firstAtOrAfter(messages, after + 1);
          const end = Math.min(messages.length, start + limit);
          return this.reply(kind, id, { messages: messages.slice(start, end), hasMore: end < messages.length, feedSeq: this.feedSeq });
        }
        const before = msg.before as number | null;
        const end = before === null ? messages.length : firstAtOrAfter(messages, before);
        const start = Math.max(0, end - limit);
        return this.reply(kind, id, { messages: messages.slice(start, end), hasMore: start > 0, feedSeq: this.feedSeq });
      }
      case "pinned":
        return this.reply(kind, id, { messages: this.sorted().filter((m) => m.pinned), feedSeq: this.feedSeq });
      case "catch-up": {
        const after = msg.after as number;
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
        const to = (msg.to as string[] | undefined) ?? [];
        const message = this.newMessage({
          userId: this.selfId,
          displayName: this.selfName,
          type: upload ? (msg.as as "image" | "file") : "text",
          // Like RealtimeKit, a private message lists its sender among the targets.
          targetUserIds: to.length ? [...to, this.selfId] : [],
          ...(upload ? { name: upload.name, size: upload.bytes, link: `https://files.example/${msg.uploadId}` } : { text: msg.text as string }),
        });
        // Like the kernel: the delta (not the stored message) echoes the send's localId, and
        // may overtake the response.
        const { first } = this.change({ op: "upsert", message });
        if (typeof msg.localId === "string") this.log[this.log.length - 1] = { op: "upsert", message: { ...message, localId: msg.localId } };
        this.push({ kind: "deltas", first, items: [this.log[this.log.length - 1]!] });
        return this.reply(kind, id, { message });
      }
      case "edit":
      case "pin":
      case "unpin": {
        const found = this.messages.find((m) => m.id === msg.messageId);
        if (!found) return this.fail(kind, id, "not_found", "no such message");
        const { localId: _, ...stored } = found;
        const message = kind === "edit" ? { ...stored, text: msg.text as string, edited: true } : { ...stored, pinned: kind === "pin" };
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
      default:
        return this.fail(kind, id, "invalid", `unknown request ${kind}`);
    }
  }
}
