import { type Order, compareOrder } from "./protocol";
import type { ChatState, Store } from "./store";

/** scroll-to requests that may wait for their message at once; older ones are dropped. */
export const MAX_AWAITED_SCROLLS = 8;

/**
 * Python's scroll-to pushes. Python sends one as soon as it is asked, often before the delta
 * that carries the message; such a request waits for the message (a bounded number, for a
 * bounded time), then goes to the listeners, which search history if it still is not loaded.
 */
export class ScrollRequests {
  private readonly listeners = new Set<(messageId: string) => void>();
  /** Requests for messages whose delta has not arrived yet, with their give-up timers. */
  private readonly awaiting = new Map<string, ReturnType<typeof setTimeout>>();
  /** Orders Python gave with recent requests, so a jump can load the right page at once. */
  private readonly hintedOrders = new Map<string, Order>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly waitMs: number,
  ) {
    this.unsubscribe = store.subscribe((state) => this.release(state));
  }

  dispose(): void {
    this.unsubscribe();
    for (const timer of this.awaiting.values()) clearTimeout(timer);
    this.awaiting.clear();
    this.listeners.clear();
  }

  onScrollTo(listener: (messageId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The order Python gave for `messageId` with a recent request, if any. */
  hintedOrder(messageId: string): Order | undefined {
    return this.hintedOrders.get(messageId);
  }

  /** How many requests are waiting for their message. */
  get waiting(): number {
    return this.awaiting.size;
  }

  request(messageId: string, order: Order | undefined): void {
    if (order !== undefined) this.rememberOrder(messageId, order);
    const { byId } = this.store.getState();
    if (byId.has(messageId) || order === undefined || !this.beyondWindow(order)) return this.emit(messageId);
    const previous = this.awaiting.get(messageId);
    if (previous !== undefined) clearTimeout(previous);
    this.awaiting.delete(messageId);
    if (this.awaiting.size >= MAX_AWAITED_SCROLLS) {
      const [oldest, timer] = this.awaiting.entries().next().value!;
      clearTimeout(timer);
      this.awaiting.delete(oldest);
    }
    const timer = setTimeout(() => {
      this.awaiting.delete(messageId);
      this.emit(messageId);
    }, this.waitMs);
    this.awaiting.set(messageId, timer);
  }

  /** Whether a message at `order` would be appended to the window by a delta still to come. */
  private beyondWindow(order: Order): boolean {
    const { ids, byId, atLatest, loaded } = this.store.getState();
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

  private release(state: ChatState): void {
    for (const [messageId, timer] of [...this.awaiting]) {
      if (!state.byId.has(messageId)) continue;
      clearTimeout(timer);
      this.awaiting.delete(messageId);
      this.emit(messageId);
    }
  }

  private emit(messageId: string): void {
    for (const listener of [...this.listeners]) listener(messageId);
  }
}
