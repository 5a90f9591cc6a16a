import type { Invoker, RequestError } from "./invoke";
import { Paging, type SessionParts } from "./paging";
import { KINDS, type Push, type WireMessage } from "./protocol";
import { ScrollRequests } from "./scroll-requests";
import { type Attachment, OptimisticSends, asRequestError } from "./sends";
import { type ChatState, Store, classifyDeltas } from "./store";

export type { Attachment } from "./sends";
export { MAX_AWAITED_SCROLLS } from "./scroll-requests";

export interface SessionOptions {
  pageSize?: number;
  /** At most this many messages stay loaded; pages far from the reader are evicted. */
  maxLoaded?: number;
  /** How many older pages `jumpTo` walks to find a message whose position is unknown. */
  maxJumpPages?: number;
  /** How long a scroll-to for a message newer than the window waits for its delta before searching anyway. */
  scrollWaitMs?: number;
}

/**
 * The model-level chat controller, shared by every view of one model: keeps the store in step
 * with the kernel (pushes, gap catch-up, and the reload a catch-up reset asks for) and runs the
 * user's actions. Its three parts: `Paging` (the loaded window), `OptimisticSends` (the panel's
 * own sends) and `ScrollRequests` (Python's scroll-to pushes).
 */
export class ChatSession implements SessionParts {
  readonly store = new Store();
  private readonly paging: Paging;
  private readonly sends: OptimisticSends;
  private readonly scrolls: ScrollRequests;
  private readonly errorListeners = new Set<(error: RequestError) => void>();
  private catchingUp: Promise<unknown> | null = null;
  private highestSeen = 0;
  private readonly unsubscribePush: () => void;

  constructor(
    readonly invoker: Invoker,
    options: SessionOptions = {},
  ) {
    this.paging = new Paging(this, options.pageSize ?? 100, options.maxLoaded ?? 1500, options.maxJumpPages ?? 20, () => {
      // A push that overtook the page (ignored while nothing was loaded) may lie beyond it.
      if (this.highestSeen > this.state.feedSeq) void this.catchUp();
    });
    this.sends = new OptimisticSends(this);
    this.scrolls = new ScrollRequests(this.store, options.scrollWaitMs ?? 3000);
    this.unsubscribePush = invoker.onPush((push) => this.handlePush(push));
  }

  get state(): ChatState {
    return this.store.getState();
  }

  get pageSize(): number {
    return this.paging.pageSize;
  }

  get maxLoaded(): number {
    return this.paging.maxLoaded;
  }

  dispose(): void {
    this.sends.dispose();
    this.unsubscribePush();
    this.scrolls.dispose();
    this.errorListeners.clear();
  }

  onError(listener: (error: RequestError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  onScrollTo(listener: (messageId: string) => void): () => void {
    return this.scrolls.onScrollTo(listener);
  }

  /** How many scroll-to requests are waiting for their message. */
  get awaitedScrolls(): number {
    return this.scrolls.waiting;
  }

  // ----- the loaded window -----

  /** Loads the newest page if nothing is loaded yet (a view calls this when it opens). */
  ensureLoaded(): Promise<void> {
    return this.paging.ensureLoaded();
  }

  /** Replaces the window with the newest page. */
  loadLatest(): Promise<void> {
    return this.paging.loadLatest();
  }

  /** Prepends the page before the oldest loaded message and evicts from the newest end. */
  loadOlder(): Promise<void> {
    return this.paging.loadOlder();
  }

  /** After a jump or eviction, extends the window towards the newest message. */
  loadNewer(): Promise<void> {
    return this.paging.loadNewer();
  }

  /** Replaces the pinned list with the kernel's complete one. */
  loadPinned(): Promise<void> {
    return this.paging.loadPinned();
  }

  /** Makes sure `messageId` is loaded, fetching the pages around it if needed; resolves with whether it was found. */
  jumpTo(messageId: string): Promise<boolean> {
    const known = this.state.pinned.get(messageId)?.order ?? this.scrolls.hintedOrder(messageId);
    return this.paging.jumpTo(messageId, known);
  }

  // ----- actions -----

  sendText(text: string, to: string[] = []): Promise<WireMessage | null> {
    return this.sends.sendText(text, to);
  }

  /** Uploads in chunks (progress on the pending row), then sends the upload as a message. */
  sendAttachment(attachment: Attachment, to: string[] = []): Promise<WireMessage | null> {
    return this.sends.sendAttachment(attachment, to);
  }

  /** Drops a failed optimistic send from the list. */
  discardPending(localId: string): void {
    this.sends.discardPending(localId);
  }

  /** Stops an upload in progress; its pending row goes away. */
  cancelUpload(localId: string): void {
    this.sends.cancelUpload(localId);
  }

  /** Sends a failed message again, as a new pending send. */
  retryPending(localId: string): Promise<WireMessage | null> {
    return this.sends.retryPending(localId);
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

  // ----- following the kernel -----

  private handlePush(push: Push): void {
    switch (push.kind) {
      case KINDS.deltas: {
        const last = push.first + push.items.length - 1;
        this.highestSeen = Math.max(this.highestSeen, last);
        const status = classifyDeltas(this.state, push.first, push.items.length);
        if (status === "applied") {
          this.store.dispatch({ type: "deltas", first: push.first, items: push.items });
          this.paging.trimAfterGrowth();
        } else if (status === "gap") {
          void this.catchUp();
        }
        return;
      }
      case KINDS.scrollTo:
        this.scrolls.request(push.messageId, push.order);
        return;
    }
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
        this.paging.trimAfterGrowth();
        if (this.highestSeen <= this.state.feedSeq) return;
      }
    }).finally(() => (this.catchingUp = null));
    return this.catchingUp.then(() => undefined);
  }

  /** Runs a request, reporting failures to the error listeners instead of throwing. */
  async guard<T>(run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (error) {
      this.emitError(asRequestError(error));
      return null;
    }
  }

  emitError(error: RequestError): void {
    if (error.code === "aborted") return;
    for (const listener of [...this.errorListeners]) listener(error);
  }
}
