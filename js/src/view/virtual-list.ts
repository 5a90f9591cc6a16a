/**
 * A windowed list with measured variable heights: only rows near the viewport are in the DOM.
 * Rows flow normally between two spacers, so measurement is just each row's height.
 */
export interface VirtualListOptions<T> {
  /** The element that scrolls (overflow: auto). */
  scroller: HTMLElement;
  /** The element inside `scroller` that receives spacers and rows. */
  content: HTMLElement;
  /**
   * An element shown above the first row (e.g. "Start of the chat"). It is part of the scrolled
   * geometry, so rows are laid out below it instead of under it. Give it padding, not margins.
   */
  lead?: HTMLElement;
  /** Overrides how the lead's height is read (tests use a fake layout). */
  measureLead?(el: HTMLElement): number;
  key(item: T): string;
  render(item: T, index: number, count: number): HTMLElement;
  /** Whether a rendered row can stay as it is for a new item with the same key. */
  same(a: T, b: T): boolean;
  estimate(item: T): number;
  measure?(el: HTMLElement): number;
  overscanPx?: number;
  /** Called after the rendered range changes, with the scroll state. */
  onScroll?(state: { atTop: boolean; atBottom: boolean; start: number; end: number }): void;
}

interface Rendered<T> {
  item: T;
  el: HTMLElement;
  index: number;
}

const BOTTOM_SLACK_PX = 24;

export class VirtualList<T> {
  private items: T[] = [];
  private readonly heights = new Map<string, number>();
  private offsets = new Float64Array(1);
  private rendered = new Map<string, Rendered<T>>();
  private readonly top: HTMLElement;
  private readonly bottom: HTMLElement;
  private readonly observer: ResizeObserver | null;
  private readonly onScrollEvent = (): void => {
    // A hidden scroller (display: none while JupyterLab swaps themes, a collapsed output) reports
    // scrollTop 0: that is not the reader leaving the bottom. Showing it again resizes it, and
    // the resize observer puts the view back.
    if (this.options.scroller.clientHeight === 0) return;
    // The reader moved: whether to follow new rows is decided by where they are now. Scroll
    // events caused by our own scrollTop writes (delivered later) say nothing about the reader.
    if (Math.abs(this.options.scroller.scrollTop - this.lastSetTop) >= 1) this.stickToBottom = this.isAtBottom() || this.atScrollEnd();
    this.update();
  };
  private range = { start: 0, end: 0 };
  private stickToBottom = true;
  private endsAtNewest = true;
  private leadHeight = 0;
  private lastSetTop = Number.NaN;

  constructor(private readonly options: VirtualListOptions<T>) {
    this.top = document.createElement("div");
    this.bottom = document.createElement("div");
    this.top.className = this.bottom.className = "rtkw-spacer";
    this.top.setAttribute("aria-hidden", "true");
    this.bottom.setAttribute("aria-hidden", "true");
    if (options.lead) options.content.append(options.lead);
    options.content.append(this.top, this.bottom);
    options.scroller.addEventListener("scroll", this.onScrollEvent, { passive: true });
    this.observer = typeof ResizeObserver === "function" ? new ResizeObserver(() => this.remeasure()) : null;
    this.observer?.observe(options.scroller);
    if (options.lead) this.observer?.observe(options.lead);
  }

  get count(): number {
    return this.items.length;
  }

  /** The scrolled height: the lead plus every row (measured or estimated). */
  get totalHeight(): number {
    return this.leadHeight + (this.offsets[this.items.length] ?? 0);
  }

  /** Where row `index` starts, in scroller coordinates. */
  private rowTop(index: number): number {
    return this.leadHeight + this.offsets[index]!;
  }

  /** The indices of the rows currently in the DOM, `[start, end)`. */
  get renderedRange(): { start: number; end: number } {
    return { ...this.range };
  }

  /**
   * Whether the browser cannot scroll any further down. When content shrinks before the list has
   * measured it (a theme or font change), the browser clamps scrollTop and fires a scroll event
   * that is not the reader leaving the bottom; the list's own (stale) height would say it was.
   */
  private atScrollEnd(): boolean {
    const { scrollTop, clientHeight, scrollHeight } = this.options.scroller;
    return scrollHeight > 0 && scrollTop + clientHeight >= scrollHeight - 1;
  }

  isAtBottom(): boolean {
    const { scrollTop, clientHeight } = this.options.scroller;
    return scrollTop + clientHeight >= this.totalHeight - BOTTOM_SLACK_PX;
  }

  /**
   * Replaces the items, keeping the reader's place (or the bottom, if they were there and the
   * list ended at the newest item). `atEnd` says whether the new last item is the newest there
   * is: at the bottom of a partial window, items appended (the next page) must not pull the
   * reader past themselves, and a page that reaches the newest is read from where the reader is.
   */
  setItems(items: T[], atEnd = true): void {
    const anchor = this.captureAnchor();
    const atBottom = this.following();
    // Not following before this change means not following through it, even if it reaches the end.
    this.stickToBottom = atBottom;
    this.endsAtNewest = atEnd;
    this.items = items;
    if (this.heights.size > 2 * items.length + 100) this.pruneHeights();
    this.recomputeOffsets();
    if (atBottom) this.scrollToBottom();
    else this.restoreAnchor(anchor);
    this.update();
  }

  /** Re-renders one row (e.g. when it enters edit mode). */
  refresh(key: string): void {
    const row = this.rendered.get(key);
    if (!row) return;
    row.el.remove();
    this.rendered.delete(key);
    this.update();
  }

  scrollToBottom(): void {
    this.stickToBottom = true;
    this.setScrollTop(this.bottomTop());
    this.update();
  }

  /** Scrolls so the row with `key` is in the middle of the viewport; false if absent. */
  scrollToKey(key: string): boolean {
    const index = this.items.findIndex((item) => this.options.key(item) === key);
    if (index < 0) return false;
    this.stickToBottom = false;
    const rowHeight = this.offsets[index + 1]! - this.offsets[index]!;
    this.setScrollTop(this.rowTop(index) - (this.options.scroller.clientHeight - rowHeight) / 2);
    this.update();
    return true;
  }

  elementFor(key: string): HTMLElement | null {
    return this.rendered.get(key)?.el ?? null;
  }

  /** Renders the rows in view (plus overscan) and measures them. */
  update(): void {
    const { scroller } = this.options;
    const follow = this.following();
    for (let pass = 0; pass < 3; pass++) {
      const anchor = this.captureAnchor();
      this.renderRange();
      const leadChanged = this.measureLead();
      if (!this.measureRendered() && !leadChanged) break;
      this.recomputeOffsets();
      if (follow) this.setScrollTop(this.bottomTop());
      else this.restoreAnchor(anchor);
    }
    // Following the bottom survives any change of heights; only the reader scrolling ends it.
    if (follow) this.setScrollTop(this.bottomTop());
    this.stickToBottom = follow || this.isAtBottom();
    const atTop = scroller.scrollTop <= BOTTOM_SLACK_PX;
    this.options.onScroll?.({ atTop, atBottom: this.stickToBottom, ...this.range });
  }

  destroy(): void {
    this.options.scroller.removeEventListener("scroll", this.onScrollEvent);
    this.observer?.disconnect();
    for (const row of this.rendered.values()) row.el.remove();
    this.rendered.clear();
    this.top.remove();
    this.bottom.remove();
    this.options.lead?.remove();
  }

  /** Whether to keep the bottom in view: the reader is there and the list ends at the newest item. */
  private following(): boolean {
    return this.stickToBottom && this.endsAtNewest;
  }

  /**
   * The scrollTop that shows the last row's bottom. The browser's own scrollHeight wins when
   * larger: a row can grow before its resize is reported, and following must still reach it.
   */
  private bottomTop(): number {
    const { scroller } = this.options;
    return Math.max(this.totalHeight, scroller.scrollHeight) - scroller.clientHeight;
  }

  private setScrollTop(value: number): void {
    const { scroller } = this.options;
    scroller.scrollTop = Math.max(0, value);
    // Read back: the browser clamps to what the content allows.
    this.lastSetTop = scroller.scrollTop;
  }

  private heightOf(item: T): number {
    return this.heights.get(this.options.key(item)) ?? this.options.estimate(item);
  }

  private recomputeOffsets(): void {
    const n = this.items.length;
    const offsets = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + this.heightOf(this.items[i]!);
    this.offsets = offsets;
  }

  /** The first index whose row ends below `y`. */
  private indexAt(y: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid + 1]! <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private captureAnchor(): { key: string; delta: number } | null {
    if (this.items.length === 0) return null;
    const scrollTop = this.options.scroller.scrollTop;
    const index = Math.min(this.indexAt(scrollTop - this.leadHeight), this.items.length - 1);
    return { key: this.options.key(this.items[index]!), delta: scrollTop - this.rowTop(index) };
  }

  private restoreAnchor(anchor: { key: string; delta: number } | null): void {
    if (!anchor) return;
    const index = this.items.findIndex((item) => this.options.key(item) === anchor.key);
    if (index >= 0) this.setScrollTop(this.rowTop(index) + anchor.delta);
  }

  private renderRange(): void {
    const { scroller, content, key, render, same } = this.options;
    const overscan = this.options.overscanPx ?? 600;
    const n = this.items.length;
    const top = scroller.scrollTop - this.leadHeight;
    const start = Math.max(0, Math.min(n, this.indexAt(top - overscan)));
    const end = Math.max(start, Math.min(n, this.indexAt(top + scroller.clientHeight + overscan) + 1));
    const next = new Map<string, Rendered<T>>();
    let cursor: Node = this.top;
    for (let i = start; i < end; i++) {
      const item = this.items[i]!;
      const k = key(item);
      const previous = this.rendered.get(k);
      let row: Rendered<T>;
      if (previous && previous.index === i && same(previous.item, item)) {
        row = previous;
        this.rendered.delete(k);
      } else {
        if (previous) {
          previous.el.remove();
          this.rendered.delete(k);
        }
        row = { item, el: render(item, i, n), index: i };
        this.observer?.observe(row.el);
      }
      row.item = item;
      next.set(k, row);
      if (cursor.nextSibling !== row.el) content.insertBefore(row.el, cursor.nextSibling);
      cursor = row.el;
    }
    for (const stale of this.rendered.values()) {
      this.observer?.unobserve(stale.el);
      stale.el.remove();
    }
    this.rendered = next;
    this.range = { start, end };
    this.top.style.height = `${this.offsets[start] ?? 0}px`;
    // Rows only: the lead sits above the top spacer and is not part of what lies below the window.
    this.bottom.style.height = `${this.offsets[n]! - this.offsets[end]!}px`;
  }

  /** Records real heights of rendered rows; true if any differed from what offsets assumed. */
  private measureRendered(): boolean {
    const measure = this.options.measure ?? ((el: HTMLElement) => el.getBoundingClientRect().height);
    let changed = false;
    for (const [k, row] of this.rendered) {
      const height = measure(row.el);
      if (height <= 0) continue;
      const assumed = this.offsets[row.index + 1]! - this.offsets[row.index]!;
      if (Math.abs(assumed - height) > 0.5) changed = true;
      this.heights.set(k, height);
    }
    return changed;
  }

  private pruneHeights(): void {
    const live = new Set(this.items.map((item) => this.options.key(item)));
    for (const k of this.heights.keys()) if (!live.has(k)) this.heights.delete(k);
  }

  /** Reads the lead's height; true if it changed. */
  private measureLead(): boolean {
    const { lead, measureLead } = this.options;
    const height = lead ? (measureLead ? measureLead(lead) : lead.getBoundingClientRect().height) : 0;
    if (Math.abs(height - this.leadHeight) <= 0.5) return false;
    this.leadHeight = height;
    return true;
  }

  /** A row, the lead or the viewport changed size (an image loaded, fonts arrived, a resize). */
  private remeasure(): void {
    const follow = this.following();
    const anchor = this.captureAnchor();
    const leadChanged = this.measureLead();
    const changed = this.measureRendered() || leadChanged;
    if (changed) this.recomputeOffsets();
    if (follow) this.setScrollTop(this.bottomTop());
    else if (changed) this.restoreAnchor(anchor);
    if (changed || follow) this.update();
  }

  /** Re-reads heights now (also what the ResizeObserver triggers). */
  measure(): void {
    this.remeasure();
  }
}
