import type { Invoker, RequestError } from "./invoke";
import { KINDS, type Order } from "./protocol";
import type { Store } from "./store";

/** What paging, sends and scroll requests share with the session that owns them. */
export interface SessionParts {
  readonly store: Store;
  readonly invoker: Invoker;
  /** Runs a request, reporting a failure to the session's error listeners instead of throwing. */
  guard<T>(run: () => Promise<T>): Promise<T | null>;
  /** Reports a failure to the session's error listeners (`aborted` is not reported). */
  emitError(error: RequestError): void;
}

/**
 * The window of loaded messages: the newest page, older and newer pages around the reader,
 * the page around a message far back, the pinned list; evicts far from the reader.
 */
export class Paging {
  private latestLoad: Promise<unknown> | null = null;
  private olderLoad: Promise<unknown> | null = null;
  private newerLoad: Promise<unknown> | null = null;
  private pinnedLoad: Promise<unknown> | null = null;

  constructor(
    private readonly parts: SessionParts,
    readonly pageSize: number,
    readonly maxLoaded: number,
    private readonly maxJumpPages: number,
    /** Called after the newest page replaced the window (a push may have overtaken it). */
    private readonly afterLatest: () => void,
  ) {}

  private get state() {
    return this.parts.store.getState();
  }

  /** Loads the newest page and the pinned list if nothing is loaded yet. */
  ensureLoaded(): Promise<void> {
    return this.state.loaded ? Promise.resolve() : Promise.all([this.loadLatest(), this.loadPinned()]).then(() => undefined);
  }

  /** Replaces the window with the newest page. */
  loadLatest(): Promise<void> {
    this.latestLoad ??= this.parts.guard(async () => {
      const { response } = await this.parts.invoker.request(KINDS.page, { before: null, limit: this.pageSize });
      this.parts.store.dispatch({ type: "page", ...response, mode: "replace", reachesLatest: true });
      this.afterLatest();
    }).finally(() => (this.latestLoad = null));
    return this.latestLoad.then(() => undefined);
  }

  /** Prepends the page before the oldest loaded message and evicts from the newest end. */
  loadOlder(): Promise<void> {
    const { ids, byId, hasOlder, loaded } = this.state;
    if (!loaded || !hasOlder || ids.length === 0) return Promise.resolve();
    const before = byId.get(ids[0]!)!.order;
    this.olderLoad ??= this.parts.guard(async () => {
      const { response } = await this.parts.invoker.request(KINDS.page, { before, limit: this.pageSize });
      this.parts.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: false });
      this.parts.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "older" });
    }).finally(() => (this.olderLoad = null));
    return this.olderLoad.then(() => undefined);
  }

  /** After a jump or eviction, extends the window towards the newest message (an exact forward page). */
  loadNewer(): Promise<void> {
    const { ids, byId, atLatest, loaded } = this.state;
    if (!loaded || atLatest || ids.length === 0) return Promise.resolve();
    const after = byId.get(ids[ids.length - 1]!)!.order;
    this.newerLoad ??= this.parts.guard(async () => {
      const { response } = await this.parts.invoker.request(KINDS.page, { after, limit: this.pageSize });
      const forward = { fromOldest: false };
      this.parts.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: !response.hasMore, forward });
      this.parts.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "newer" });
    }).finally(() => (this.newerLoad = null));
    return this.newerLoad.then(() => undefined);
  }

  /** Replaces the pinned list with the kernel's complete one (deltas keep it current after). */
  loadPinned(): Promise<void> {
    this.pinnedLoad ??= this.parts.guard(async () => {
      const { response } = await this.parts.invoker.request(KINDS.pinned, {});
      this.parts.store.dispatch({ type: "pinned", messages: response.messages, feedSeq: response.feedSeq });
    }).finally(() => (this.pinnedLoad = null));
    return this.pinnedLoad.then(() => undefined);
  }

  /**
   * Makes sure `messageId` is loaded, fetching the pages around it if needed (around `known`,
   * its order, when the caller has it). Resolves with whether it was found.
   */
  async jumpTo(messageId: string, known: Order | undefined): Promise<boolean> {
    if (this.state.byId.has(messageId)) return true;
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

  /**
   * New messages grow the window at the latest end; past a margin over `maxLoaded` the oldest
   * rows go (the margin keeps this from running on every message).
   */
  trimAfterGrowth(): void {
    if (this.state.ids.length > this.maxLoaded * 1.2) this.parts.store.dispatch({ type: "evict", max: this.maxLoaded, keep: "newer" });
  }

  /** A new window: half a page before `order`, then a forward page from there (which holds `order`). */
  private async loadAround(order: Order): Promise<void> {
    const half = Math.max(1, Math.floor(this.pageSize / 2));
    await this.parts.guard(async () => {
      const older = (await this.parts.invoker.request(KINDS.page, { before: order, limit: half })).response;
      this.parts.store.dispatch({ type: "page", ...older, mode: "replace", reachesLatest: false });
      const after = older.messages.length ? older.messages[older.messages.length - 1]!.order : null;
      const { response } = await this.parts.invoker.request(KINDS.page, { after, limit: this.pageSize });
      const forward = { fromOldest: after === null };
      this.parts.store.dispatch({ type: "page", ...response, mode: "merge", reachesLatest: !response.hasMore, forward });
    });
  }
}
