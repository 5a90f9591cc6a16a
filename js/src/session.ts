import { type Invoker, RequestError } from "./invoke";
import { KINDS, compareOrder, type Order, type Push, type WireMessage } from "./protocol";
import { type ChatState, type PendingSend, Store, classifyDeltas } from "./store";
import { isPreviewableImage, uploadFile } from "./upload";

export interface SessionOptions {
  pageSize?: number;
  /** At most this many messages stay loaded; pages far from the reader are evicted. */
  maxLoaded?: number;
  /** How many older pages `jumpTo` walks to find a message whose position is unknown. */
  maxJumpPages?: number;
}

export interface Attachment {
  file: Blob;
  name: string;
}

let localCounter = 0;

/**
 * The model-level chat controller: keeps the store in step with the kernel (pages, pushes,
 * gap catch-up, reset) and runs the user's actions. Shared by every view of one model.
 */
export class ChatSession {
  readonly store = new Store();
  readonly pageSize: number;
  readonly maxLoaded: number;
  private readonly maxJumpPages: number;
  private readonly errorListeners = new Set<(error: RequestError) => void>();
  private readonly scrollListeners = new Set<(messageId: string) => void>();
  private latestLoad: Promise<unknown> | null = null;
  private olderLoad: Promise<unknown> | null = null;
  private newerLoad: Promise<unknown> | null = null;
  private catchingUp: Promise<unknown> | null = null;
  private highestSeen = 0;
  private readonly uploads = new Map<string, AbortController>();
  private readonly retries = new Map<string, () => Promise<WireMessage | null>>();
  private readonly unsubscribePush: () => void;

  constructor(
    readonly invoker: Invoker,
    options: SessionOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.maxLoaded = options.maxLoaded ?? 1500;
    this.maxJumpPages = options.maxJumpPages ?? 20;
    this.unsubscribePush = invoker.onPush((push) => this.handlePush(push));
  }

  get state(): ChatState {
    return this.store.getState();
  }

  dispose(): void {
    for (const controller of this.uploads.values()) controller.abort();
    this.unsubscribePush();
    this.errorListeners.clear();
    this.scrollListeners.clear();
  }

  onError(listener: (error: RequestError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  onScrollTo(listener: (messageId: string) => void): () => void {
    this.scrollListeners.add(listener);
    return () => this.scrollListeners.delete(listener);
  }

  /** Loads the newest page if nothing is loaded yet (a view calls this when it opens). */
  ensureLoaded(): Promise<void> {
    return this.state.loaded ? Promise.resolve() : this.loadLatest();
  }

  /** Replaces the window with the newest page. */
  loadLatest(): Promise<void> {
    this.latestLoad ??= this.guard(async () => {
      const { response } = await this.invoker.request(KINDS.page, { before: null, limit: this.pageSize });
      this.store.dispatch({ type: "page", ...response, mode: "replace", reachesLatest: true });
      // A push that overtook the page (ignored while nothing was loaded) may lie beyond it.
      if (this.highestSeen > this.state.feedSeq) void this.catchUp();
    }).finally(() => (this.latestLoad = null));
    return this.latestLoad.then(() => undefined);
  }

  /** Prepends the page before the oldest loaded message and evicts from the newest end. */
  loadOlder(): Promise<void> {
    const { ids, byId, hasOlder, loaded } = this.state;
    if (!loaded || !hasOlder || ids.length === 0) return Promise.resolve();
    const before = byId.get(ids[0]!)!.order;
    this.olderLoad ??= this.guard(async () => {
      const { response } = await this.invoker.request(KINDS.page, { before, limit: this.pageSize });
      this.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: false });
      this.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "older" });
    }).finally(() => (this.olderLoad = null));
    return this.olderLoad.then(() => undefined);
  }

  /** After a jump or eviction, extends the window towards the newest message. */
  loadNewer(): Promise<void> {
    const { ids, byId, atLatest, loaded } = this.state;
    if (!loaded || atLatest || ids.length === 0) return Promise.resolve();
    const newest = byId.get(ids[ids.length - 1]!)!.order;
    this.newerLoad ??= this.guard(async () => {
      const latest = await this.invoker.request(KINDS.page, { before: null, limit: this.pageSize });
      const first = latest.response.messages[0];
      if (!first || compareOrder(first.order, newest) <= 0) {
        this.store.dispatch({ type: "page", ...latest.response, mode: "merge", reachesLatest: true });
      } else if (typeof newest === "number") {
        // `page` only walks backwards, so ask for the page that ends `pageSize` past our newest.
        const { response } = await this.invoker.request(KINDS.page, { before: newest + this.pageSize + 1, limit: this.pageSize });
        this.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: false });
      } else {
        this.store.dispatch({ type: "page", ...latest.response, mode: "replace", reachesLatest: true });
      }
      this.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "newer" });
    }).finally(() => (this.newerLoad = null));
    return this.newerLoad.then(() => undefined);
  }

  /**
   * Makes sure `messageId` is loaded, fetching the pages around it if needed.
   * Resolves with whether it was found.
   */
  async jumpTo(messageId: string): Promise<boolean> {
    if (this.state.byId.has(messageId)) return true;
    const known = this.state.pinned.get(messageId);
    if (known) {
      await this.loadAround(known.order);
      if (this.state.byId.has(messageId)) return true;
    }
    await this.ensureLoaded();
    for (let i = 0; i < this.maxJumpPages && !this.state.byId.has(messageId) && this.state.hasOlder; i++) {
      await this.loadOlder();
    }
    return this.state.byId.has(messageId);
  }

  private async loadAround(order: Order): Promise<void> {
    const half = Math.floor(this.pageSize / 2);
    const before = typeof order === "number" ? order + half + 1 : null;
    await this.guard(async () => {
      const { response } = await this.invoker.request(KINDS.page, { before, limit: this.pageSize });
      this.store.dispatch({ type: "page", ...response, mode: "replace", reachesLatest: before === null });
    });
  }

  sendText(text: string, to: string[] = []): Promise<WireMessage | null> {
    const pending = this.addPending({ kind: "text", text, to }, () => this.sendText(text, to));
    return this.finishSend(pending, async () => {
      const msg = to.length ? { text, to } : { text };
      return (await this.invoker.request(KINDS.send, msg)).response.message;
    });
  }

  /** Uploads in chunks (progress on the pending row), then sends the upload as a message. */
  sendAttachment(attachment: Attachment, to: string[] = []): Promise<WireMessage | null> {
    const as: "image" | "file" = isPreviewableImage(attachment.file.type) ? "image" : "file";
    const pending = this.addPending({ kind: as, fileName: attachment.name, to, progress: 0 }, () => this.sendAttachment(attachment, to));
    const controller = new AbortController();
    this.uploads.set(pending.localId, controller);
    return this.finishSend(pending, async () => {
      const uploadId = await uploadFile(this.invoker, attachment.file, attachment.name, {
        signal: controller.signal,
        onProgress: (progress) => this.store.dispatch({ type: "pending-update", localId: pending.localId, patch: { progress } }),
      });
      const msg = to.length ? { uploadId, as, to } : { uploadId, as };
      return (await this.invoker.request(KINDS.send, msg, { timeoutMs: 60_000 })).response.message;
    });
  }

  /** Drops a failed optimistic send from the list. */
  discardPending(localId: string): void {
    this.retries.delete(localId);
    this.store.dispatch({ type: "pending-remove", localId });
  }

  /** Stops an upload in progress; its pending row goes away. */
  cancelUpload(localId: string): void {
    this.uploads.get(localId)?.abort();
  }

  /** Sends a failed message again, as a new pending send. */
  retryPending(localId: string): Promise<WireMessage | null> {
    const retry = this.retries.get(localId);
    this.discardPending(localId);
    return retry ? retry() : Promise.resolve(null);
  }

  edit(messageId: string, text: string): Promise<WireMessage | null> {
    return this.guard(async () => this.applyMessage((await this.invoker.request(KINDS.edit, { messageId, text })).response.message));
  }

  remove(messageId: string): Promise<boolean> {
    return this.guard(async () => {
      await this.invoker.request(KINDS.delete, { messageId });
      this.store.dispatch({ type: "caught-up", deltas: [{ op: "remove", id: messageId }], feedSeq: this.state.feedSeq });
      return true;
    }).then((ok) => ok ?? false);
  }

  setPinned(messageId: string, pinned: boolean): Promise<WireMessage | null> {
    const kind = pinned ? KINDS.pin : KINDS.unpin;
    return this.guard(async () => this.applyMessage((await this.invoker.request(kind, { messageId })).response.message));
  }

  private applyMessage(message: WireMessage): WireMessage {
    this.store.dispatch({ type: "message", message });
    return message;
  }

  private addPending(fields: Omit<PendingSend, "localId" | "time" | "status">, retry: () => Promise<WireMessage | null>): PendingSend {
    const pending: PendingSend = { ...fields, localId: `local-${++localCounter}`, time: Date.now(), status: "sending" };
    this.retries.set(pending.localId, retry);
    this.store.dispatch({ type: "pending-add", pending });
    return pending;
  }

  private async finishSend(pending: PendingSend, run: () => Promise<WireMessage>): Promise<WireMessage | null> {
    try {
      const message = await run();
      this.discardPending(pending.localId);
      if (this.state.atLatest) this.store.dispatch({ type: "message", message });
      return message;
    } catch (error) {
      const failure = asRequestError(error);
      if (failure.code === "aborted") {
        this.discardPending(pending.localId);
        return null;
      }
      this.store.dispatch({ type: "pending-update", localId: pending.localId, patch: { status: "failed", error: failure } });
      this.emitError(failure);
      return null;
    } finally {
      this.uploads.delete(pending.localId);
    }
  }

  private handlePush(push: Push): void {
    switch (push.kind) {
      case KINDS.deltas: {
        const last = push.first + push.items.length - 1;
        this.highestSeen = Math.max(this.highestSeen, last);
        const status = classifyDeltas(this.state, push.first, push.items.length);
        if (status === "applied") {
          this.store.dispatch({ type: "deltas", first: push.first, items: push.items });
          this.trimAfterGrowth();
        } else if (status === "gap") {
          void this.catchUp();
        }
        return;
      }
      case KINDS.reset:
        this.store.dispatch({ type: "reset" });
        this.highestSeen = 0;
        void this.loadLatest();
        return;
      case KINDS.scrollTo:
        for (const listener of [...this.scrollListeners]) listener(push.messageId);
        return;
    }
  }

  /**
   * New messages grow the window at the latest end; past a margin over `maxLoaded` the oldest
   * rows go (the margin keeps this from running on every message).
   */
  private trimAfterGrowth(): void {
    if (this.state.ids.length > this.maxLoaded * 1.2) this.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "newer" });
  }

  /** Asks for every change after our feedSeq; repeats while pushes arrived beyond the answer. */
  catchUp(): Promise<void> {
    this.catchingUp ??= this.guard(async () => {
      // Bounded, so a kernel that keeps answering short cannot spin this loop forever.
      for (let round = 0; round < 5; round++) {
        const { response } = await this.invoker.request(KINDS.catchUp, { after: this.state.feedSeq });
        if ("reset" in response) {
          this.store.dispatch({ type: "reset" });
          await this.loadLatest();
          return;
        }
        this.store.dispatch({ type: "caught-up", deltas: response.deltas, feedSeq: response.feedSeq });
        this.trimAfterGrowth();
        if (this.highestSeen <= this.state.feedSeq) return;
      }
    }).finally(() => (this.catchingUp = null));
    return this.catchingUp.then(() => undefined);
  }

  /** Runs a request, reporting failures to the error listeners instead of throwing. */
  private async guard<T>(run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (error) {
      this.emitError(asRequestError(error));
      return null;
    }
  }

  private emitError(error: RequestError): void {
    if (error.code === "aborted") return;
    for (const listener of [...this.errorListeners]) listener(error);
  }
}

function asRequestError(error: unknown): RequestError {
  return error instanceof RequestError ? error : new RequestError({ code: "internal", message: String(error) });
}
