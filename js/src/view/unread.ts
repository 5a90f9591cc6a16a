/**
 * An unread count for a panel the reader cannot see: a small button pinned to the edge of the
 * window while the message list is scrolled out of view, pointing the way back to it.
 * Our own chrome (never built from message data), so it may sit above the page.
 */
import { Listeners, h } from "../dom";

export class UnreadBeacon {
  readonly el: HTMLButtonElement;
  private count = 0;
  private visible = true;
  private readonly observer: IntersectionObserver | null;
  private readonly listeners = new Listeners();

  /**
   * `watched` is what the reader must see for messages to count as seen; `onShown(visible)`
   * hears when that changes; a click brings the panel back into view and calls `onActivate`.
   */
  constructor(
    private readonly watched: HTMLElement,
    onShown: (visible: boolean) => void,
    onActivate: () => void,
  ) {
    this.el = h("button", { className: "rtkw-beacon", attrs: { type: "button", hidden: true } });
    this.listeners.on(this.el, "click", () => {
      // The whole panel (its header too), not just the list the count is about.
      (watched.closest(".rtkw-root") ?? watched).scrollIntoView({ block: "nearest" });
      onActivate();
    });
    this.observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver(
            (entries) => {
              const entry = entries[entries.length - 1];
              if (!entry) return;
              this.visible = entry.isIntersecting && entry.intersectionRatio >= 0.25;
              this.render();
              onShown(this.visible);
            },
            { threshold: [0, 0.25, 0.5] },
          )
        : null;
    this.observer?.observe(watched);
  }

  /** Whether the watched element is (at least a quarter) in the window. */
  get inView(): boolean {
    // The observer reports a frame late: messages arriving just after the reader scrolled away
    // would count as seen. Its answer (which knows about clipping ancestors) holds unless the
    // element is plainly outside the window right now.
    return this.visible && !this.outsideWindow();
  }

  setCount(count: number): void {
    this.count = count;
    this.render();
  }

  destroy(): void {
    this.observer?.disconnect();
    this.listeners.removeAll();
    this.el.remove();
  }

  private outsideWindow(): boolean {
    const view = this.watched.ownerDocument.defaultView;
    const rect = this.watched.getBoundingClientRect();
    if (!view || rect.height <= 0) return false; // not laid out: nothing to go by
    const shown = Math.min(rect.bottom, view.innerHeight) - Math.max(rect.top, 0);
    return shown < 0.25 * rect.height;
  }

  private render(): void {
    const show = this.count > 0 && !this.inView;
    this.el.hidden = !show;
    if (!show) return;
    // Attached only while shown: a panel in view adds nothing to the page.
    if (!this.el.isConnected) this.watched.ownerDocument.body.appendChild(this.el);
    const above = this.watched.getBoundingClientRect().bottom < 0;
    this.el.textContent = `${this.count} new chat message${this.count === 1 ? "" : "s"} ${above ? "↑" : "↓"}`;
  }
}
