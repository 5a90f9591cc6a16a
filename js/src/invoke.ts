import {
  KINDS,
  RESPONSE_GUARDS,
  type CancelEnvelope,
  type ErrorCode,
  type ErrorPayload,
  type Push,
  type RequestKind,
  type RequestMsg,
  type ResponseOf,
  isResponseEnvelope,
  parseError,
  parsePush,
} from "./protocol";

/** The slice of anywidget's model that the invoker needs (kept small so tests can fake it). */
export interface CommModel {
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  on(event: "msg:custom", callback: (msg: unknown, buffers: DataView[]) => void): void;
  off(event: "msg:custom", callback: (msg: unknown, buffers: DataView[]) => void): void;
}

/** A failed request: Python's error, a timeout, or an abort. */
export class RequestError extends Error implements ErrorPayload {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;

  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = "RequestError";
    this.code = payload.code;
    if (payload.retryAfterMs !== undefined) this.retryAfterMs = payload.retryAfterMs;
  }
}

export interface InvokeOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  buffers?: ArrayBuffer[] | ArrayBufferView[];
}

export interface Reply<K extends RequestKind> {
  response: ResponseOf<K>;
  buffers: DataView[];
}

interface Pending {
  kind: RequestKind;
  resolve: (reply: { response: unknown; buffers: DataView[] }) => void;
  reject: (error: RequestError) => void;
  cleanup: () => void;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

let instanceCounter = 0;

/**
 * Request/response over the widget comm: ids, timeouts, cancel on abort.
 * One per model (created in `initialize`), so every view shares one pending map.
 */
export class Invoker {
  private readonly pending = new Map<string, Pending>();
  private readonly pushListeners = new Set<(push: Push) => void>();
  private readonly prefix: string;
  private nextId = 0;
  private readonly onMessage = (msg: unknown, buffers: DataView[]): void => this.receive(msg, buffers);

  constructor(
    private readonly model: CommModel,
    private readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    instanceCounter += 1;
    this.prefix = `${instanceCounter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    model.on("msg:custom", this.onMessage);
  }

  /** Sends `{kind, id, msg}` and resolves with the matching `<kind>-response`. */
  request<K extends RequestKind>(kind: K, msg: RequestMsg<K>, options: InvokeOptions = {}): Promise<Reply<K>> {
    const id = `${this.prefix}-${(this.nextId++).toString(36)}`;
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new RequestError({ code: "aborted", message: "Cancelled" }));
    return new Promise<Reply<K>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
      const timer = setTimeout(() => {
        this.settle(id)?.reject(new RequestError({ code: "timeout", message: `No answer to ${kind} in ${timeoutMs} ms` }));
        this.sendCancel(id);
      }, timeoutMs);
      const onAbort = (): void => {
        this.settle(id)?.reject(new RequestError({ code: "aborted", message: "Cancelled" }));
        this.sendCancel(id);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        kind,
        resolve: resolve as Pending["resolve"],
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      });
      try {
        this.model.send({ kind, id, msg }, undefined, options.buffers);
      } catch (error) {
        this.settle(id)?.reject(new RequestError({ code: "disconnected", message: String(error) }));
      }
    });
  }

  /** Listens to pushes (`deltas`, `scroll-to`); returns the unsubscribe function. */
  onPush(listener: (push: Push) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stops listening and fails every request still waiting. */
  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    for (const id of [...this.pending.keys()]) {
      this.settle(id)?.reject(new RequestError({ code: "aborted", message: "Widget closed" }));
    }
    this.pushListeners.clear();
  }

  private settle(id: string): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    entry.cleanup();
    return entry;
  }

  private sendCancel(targetId: string): void {
    const cancel: CancelEnvelope = { kind: KINDS.cancel, msg: { targetId } };
    try {
      this.model.send(cancel);
    } catch {
      // The comm is gone; there is nothing left to cancel.
    }
  }

  private receive(msg: unknown, buffers: DataView[] | undefined): void {
    if (isResponseEnvelope(msg)) {
      const entry = this.pending.get(msg.id);
      // Responses to other models' ids, or ones that arrive after a timeout, are ignored.
      if (!entry || msg.kind !== `${entry.kind}-response`) return;
      this.settle(msg.id);
      if ("error" in msg) entry.reject(new RequestError(parseError(msg.error)));
      else if (!RESPONSE_GUARDS[entry.kind](msg.response)) {
        entry.reject(new RequestError({ code: "internal", message: `Malformed ${entry.kind} response from the kernel` }));
      } else entry.resolve({ response: msg.response, buffers: buffers ?? [] });
      return;
    }
    const push = parsePush(msg);
    if (!push) return;
    for (const listener of [...this.pushListeners]) listener(push);
  }
}
