import { type Invoker, RequestError } from "./invoke";
import { KINDS, compareOrder, type Order, type Push, type WireMessage } from "./protocol";
import { type ChatState, type PendingSend, Store, classifyDeltas } from "./store";
import { isPreviewableImage, newUploadId, uploadFile } from "./upload";

export interface SessionOptions {
  pageSize?: number;
  /** At most this many messages stay loaded; pages far from the reader are evicted. */
  maxLoaded?: number;
  /** How many older pages `jumpTo` walks to find a message whose position is unknown. */
  maxJumpPages?: number;
  /** How long a scroll-to for a message newer than the window waits for its delta before searching anyway. */
  scrollWaitMs?: number;
}

export interface Attachment {
  file: Blob;
  name: string;
}

/** scroll-to requests that may wait for their message at once; older ones are dropped. */
export const MAX_AWAITED_SCROLLS = 8;

/**
 * The model-level chat controller: keeps the store in step with the kernel (pages, pushes,
 * gap catch-up, and the reload a catch-up reset asks for) and runs the user's actions. Shared by every view of one model.
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
  private pinnedLoad: Promise<unknown> | null = null;
  /** scroll-to pushes for messages whose delta has not arrived yet, with their give-up timers. */
  private readonly awaitingScroll = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly scrollWaitMs: number;
  /** Orders Python gave with recent scroll-to pushes, so a jump can load the right page at once. */
  private readonly hintedOrders = new Map<string, Order>();
  private catchingUp: Promise<unknown> | null = null;
  private highestSeen = 0;
  private readonly uploads = new Map<string, AbortController>();
  private readonly retries = new Map<string, () => Promise<WireMessage | null>>();
  private readonly unsubscribePush: () => void;
  private readonly unsubscribeStore: () => void;

  constructor(
    readonly invoker: Invoker,
    options: SessionOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.maxLoaded = options.maxLoaded ?? 1500;
    this.maxJumpPages = options.maxJumpPages ?? 20;
    this.scrollWaitMs = options.scrollWaitMs ?? 3000;
    this.unsubscribePush = invoker.onPush((push) => this.handlePush(push));
    this.unsubscribeStore = this.store.subscribe((state) => this.releaseAwaitedScrolls(state));
  }

  get state(): ChatState {
    return this.store.getState();
  }

  dispose(): void {
    for (const controller of this.uploads.values()) controller.abort();
    this.unsubscribePush();
    this.unsubscribeStore();
    for (const timer of this.awaitingScroll.values()) clearTimeout(timer);
    this.awaitingScroll.clear();
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
    return this.state.loaded ? Promise.resolve() : Promise.all([this.loadLatest(), this.loadPinned()]).then(() => undefined);
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

  /** After a jump or eviction, extends the window towards the newest message (an exact forward page). */
  loadNewer(): Promise<void> {
    const { ids, byId, atLatest, loaded } = this.state;
    if (!loaded || atLatest || ids.length === 0) return Promise.resolve();
    const after = byId.get(ids[ids.length - 1]!)!.order;
    this.newerLoad ??= this.guard(async () => {
      const { response } = await this.invoker.request(KINDS.page, { after, limit: this.pageSize });
      const forward = { fromOldest: false };
      this.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: !response.hasMore, forward });
      this.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "newer" });
    }).finally(() => (this.newerLoad = null));
    return this.newerLoad.then(() => undefined);
  }

  /** Replaces the pinned list with the kernel's complete one (deltas keep it current after). */
  loadPinned(): Promise<void> {
    this.pinnedLoad ??= this.guard(async () => {
      const { response } = await this.invoker.request(KINDS.pinned, {});
      this.store.dispatch({ type: "pinned", messages: response.messages, feedSeq: response.feedSeq });
    }).finally(() => (this.pinnedLoad = null));
    return this.pinnedLoad.then(() => undefined);
  }

  /**
   * Makes sure `messageId` is loaded, fetching the pages around it if needed.
   * Resolves with whether it was found.
   */
  async jumpTo(messageId: string): Promise<boolean> {
    if (this.state.byId.has(messageId)) return true;
    const known = this.state.pinned.get(messageId)?.order ?? this.hintedOrders.get(messageId);
    if (known !== undefined) {
      await this.loadAround(known);
      if (this.state.byId.has(messageId)) return true;
    }
    await this.ensureLoaded();
    for (let i = 0; i < this.maxJumpPages && !this.state.byId.has(messageId) && this.state.hasOlder; i++) {
      await this.loadOlder();
    }
    return this.state.byId.has(messageId);
  }

  /** A new window: half a page before `order`, then a forward page from there (which holds `order`). */
  private async loadAround(order: Order): Promise<void> {
    const half = Math.max(1, Math.floor(this.pageSize / 2));
    await this.guard(async () => {
      const older = (await this.invoker.request(KINDS.page, { before: order, limit: half })).response;
      this.store.dispatch({ type: "page", ...older, mode: "replace", reachesLatest: false });
      const after = older.messages.length ? older.messages[older.messages.length - 1]!.order : null;
      const { response } = await this.invoker.request(KINDS.page, { after, limit: this.pageSize });
      const forward = { fromOldest: after === null };
      this.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: !response.hasMore, forward });
    });
  }

  sendText(text: string, to: string[] = []): Promise<WireMessage | null> {
    const pending = this.addPending({ kind: "text", text, to }, () => this.sendText(text, to));
    return this.finishSend(pending, async () => {
      const msg = to.length ? { text, to, localId: pending.localId } : { text, localId: pending.localId };
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
      const msg = to.length ? { uploadId, as, to, localId: pending.localId } : { uploadId, as, localId: pending.localId };
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
    // Unique across tabs: every view of the kernel's widget receives the same deltas.
    const pending: PendingSend = { ...fields, localId: `local-${newUploadId()}`, time: Date.now(), status: "sending" };
    this.retries.set(pending.localId, retry);
    this.store.dispatch({ type: "pending-add", pending });
    return pending;
  }

  private async finishSend(pending: PendingSend, run: () => Promise<WireMessage>): Promise<WireMessage | null> {
    try {
      const message = await run();
      this.retries.delete(pending.localId);
      this.store.dispatch({ type: "sent", localId: pending.localId, message });
      return message;
    } catch (error) {
      const failure = asRequestError(error);
      const delivered = this.deliveredFor(pending.localId);
      if (delivered !== undefined) {
        // Its delta already showed the message (e.g. the reply timed out after the kernel sent it).
        this.retries.delete(pending.localId);
        return delivered;
      }
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

  /** The delivered message of a send whose pending row a delta already resolved, if it is loaded. */
  private deliveredFor(localId: string): WireMessage | null | undefined {
    if (this.state.pending.some((p) => p.localId === localId)) return undefined;
    for (const message of this.state.byId.values()) if (message.localId === localId) return message;
    return this.retries.has(localId) ? null : undefined;
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
      case KINDS.scrollTo:
        this.scrollWhenKnown(push.messageId, push.order);
        return;
    }
  }

  /**
   * Python sends scroll-to as soon as it is asked, often before the delta that carries the
   * message; such a request waits for the message (a bounded number, for a bounded time), then
   * goes to the listeners, which search history if it still is not loaded.
   */
  private scrollWhenKnown(messageId: string, order: Order | undefined): void {
    if (order !== undefined) this.rememberOrder(messageId, order);
    if (this.state.byId.has(messageId) || order === undefined || !this.beyondWindow(order)) return this.emitScroll(messageId);
    const previous = this.awaitingScroll.get(messageId);
    if (previous !== undefined) clearTimeout(previous);
    this.awaitingScroll.delete(messageId);
    if (this.awaitingScroll.size >= MAX_AWAITED_SCROLLS) {
      const [oldest, timer] = this.awaitingScroll.entries().next().value!;
      clearTimeout(timer);
      this.awaitingScroll.delete(oldest);
    }
    const timer = setTimeout(() => {
      this.awaitingScroll.delete(messageId);
      this.emitScroll(messageId);
    }, this.scrollWaitMs);
    this.awaitingScroll.set(messageId, timer);
  }

  /** Whether a message at `order` would be appended to the window by a delta still to come. */
  private beyondWindow(order: Order): boolean {
    const { ids, byId, atLatest, loaded } = this.state;
    if (!loaded) return true;
    if (!atLatest) return false;
    const newest = ids.length ? byId.get(ids[ids.length - 1]!)!.order : null;
    return newest === null || compareOrder(order, newest) > 0;
  }

  private rememberOrder(messageId: string, order: Order): void {
    this.hintedOrders.delete(messageId);
    this.hintedOrders.set(messageId, order);
    if (this.hintedOrders.size > MAX_AWAITED_SCROLLS) this.hintedOrders.delete(this.hintedOrders.keys().next().value!);
  }

  private releaseAwaitedScrolls(state: ChatState): void {
    for (const [messageId, timer] of [...this.awaitingScroll]) {
      if (!state.byId.has(messageId)) continue;
      clearTimeout(timer);
      this.awaitingScroll.delete(messageId);
      this.emitScroll(messageId);
    }
  }

  /** How many scroll-to requests are waiting for their message. */
  get awaitedScrolls(): number {
    return this.awaitingScroll.size;
  }

  private emitScroll(messageId: string): void {
    for (const listener of [...this.scrollListeners]) listener(messageId);
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
          await Promise.all([this.loadLatest(), this.loadPinned()]);
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
