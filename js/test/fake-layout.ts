/**
 * jsdom has no layout: give every `.rtkw-scroller` a 400 px viewport and a scrollTop clamped at 0,
 * so panel code that reads the viewport behaves as in a browser. Call once, in `beforeAll`.
 */
export function installFakeLayout(): void {
  const scrollTops = new WeakMap<Element, number>();
  Object.defineProperty(HTMLElement.prototype, "clientHeight", {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains("rtkw-scroller") ? 400 : 0;
    },
  });
  Object.defineProperty(HTMLElement.prototype, "scrollTop", {
    configurable: true,
    get(this: HTMLElement) {
      return scrollTops.get(this) ?? 0;
    },
    set(this: HTMLElement, v: number) {
      scrollTops.set(this, Math.max(0, v));
    },
  });
}
