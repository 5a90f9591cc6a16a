// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VirtualList } from "../src/view/virtual-list";

interface Item {
  id: string;
}

/** jsdom has no ResizeObserver: this one records what is observed and fires on demand. */
class FakeResizeObserver {
  static all: FakeResizeObserver[] = [];
  readonly observed = new Set<Element>();
  constructor(private readonly callback: () => void) {
    FakeResizeObserver.all.push(this);
  }
  observe(el: Element): void {
    this.observed.add(el);
  }
  unobserve(el: Element): void {
    this.observed.delete(el);
  }
  disconnect(): void {
    this.observed.clear();
  }
  fire(): void {
    this.callback();
  }
}

beforeEach(() => {
  FakeResizeObserver.all = [];
  (globalThis as { ResizeObserver?: unknown }).ResizeObserver = FakeResizeObserver;
});
afterEach(() => {
  delete (globalThis as { ResizeObserver?: unknown }).ResizeObserver;
  document.body.replaceChildren();
});

const VIEWPORT = 300;

/** A list whose real row heights live in `heights` and whose lead (marker) is `leadHeight` tall. */
function setup(count: number, leadHeight = 0) {
  const scroller = document.createElement("div");
  const content = document.createElement("div");
  const lead = document.createElement("div");
  scroller.appendChild(content);
  document.body.appendChild(scroller);
  let top = 0;
  let list: VirtualList<Item>;
  const heights = new Map<string, number>();
  const geometry = { leadHeight };
  Object.defineProperty(scroller, "clientHeight", { get: () => VIEWPORT });
  Object.defineProperty(scroller, "scrollTop", {
    get: () => top,
    set: (v: number) => {
      // Like a browser: clamped to the real content (lead + real row heights).
      const real = geometry.leadHeight + [...heights.values()].reduce((a, b) => a + b, 0);
      top = Math.max(0, Math.min(v, Math.max(0, real - VIEWPORT)));
    },
  });
  const all = Array.from({ length: count }, (_, i) => ({ id: `r${i}` }));
  for (const it of all) heights.set(it.id, 40);
  list = new VirtualList<Item>({
    scroller,
    content,
    lead,
    measureLead: () => geometry.leadHeight,
    key: (it) => it.id,
    same: (a, b) => a === b,
    estimate: () => 40,
    render: (it) => {
      const el = document.createElement("div");
      el.dataset.key = it.id;
      return el;
    },
    measure: (el) => heights.get(el.dataset.key!) ?? 0,
    overscanPx: 100,
  });
  /** A row's top and bottom inside the viewport, from the DOM order: lead, spacer, rows. */
  const box = (key: string): { top: number; bottom: number } => {
    let y = geometry.leadHeight - top;
    for (const child of content.children) {
      const el = child as HTMLElement;
      if (el === lead) continue;
      if (!el.dataset.key) {
        y += parseFloat(el.style.height || "0");
        continue;
      }
      const h = heights.get(el.dataset.key)!;
      if (el.dataset.key === key) return { top: y, bottom: y + h };
      y += h;
    }
    throw new Error(`${key} is not rendered`);
  };
  const observer = (): FakeResizeObserver => FakeResizeObserver.all[0]!;
  return { list, scroller, content, lead, heights, geometry, all, box, observer, scrollTop: () => top };
}

describe("the start-of-chat marker (the lead)", () => {
  it("sits above the first row instead of over it", () => {
    const { list, all, box, scroller, content, lead } = setup(3, 30);
    list.setItems(all);
    expect(content.firstElementChild).toBe(lead);
    scroller.scrollTop = 0;
    list.update();
    expect(box("r0").top).toBe(30);
    expect(list.totalHeight).toBe(30 + 3 * 40);
  });

  it("counts in the scroll geometry: scrolled to the top of a long list, the first row starts below it", () => {
    const { list, all, box, scroller } = setup(50, 30);
    list.setItems(all);
    scroller.scrollTop = 0;
    scroller.dispatchEvent(new Event("scroll"));
    expect(box("r0").top).toBe(30);
    // And at the bottom, the last row ends exactly at the viewport's bottom.
    list.scrollToBottom();
    expect(box("r49").bottom).toBe(VIEWPORT);
  });

  it("centres a row by key taking the lead into account", () => {
    const { list, all, box } = setup(50, 30);
    list.setItems(all);
    list.scrollToKey("r20");
    const { top, bottom } = box("r20");
    expect((top + bottom) / 2).toBeCloseTo(VIEWPORT / 2, 5);
  });
});

describe("following the bottom", () => {
  it("stays pinned when a rendered row grows after render (an image loads)", () => {
    const { list, all, heights, box, observer } = setup(20);
    list.setItems(all);
    expect(box("r19").bottom).toBe(VIEWPORT);
    heights.set("r19", 200);
    observer().fire();
    expect(box("r19").bottom).toBe(VIEWPORT);
    expect(list.isAtBottom()).toBe(true);
    // Several rows settle one after another (fonts): still pinned.
    heights.set("r17", 90);
    heights.set("r18", 75);
    observer().fire();
    expect(box("r19").bottom).toBe(VIEWPORT);
  });

  it("stays pinned when measured heights replace estimates and when the lead appears", () => {
    const { list, all, heights, box, geometry, observer } = setup(20);
    for (const it of all) heights.set(it.id, 55);
    list.setItems(all);
    expect(box("r19").bottom).toBe(VIEWPORT);
    geometry.leadHeight = 24;
    observer().fire();
    expect(box("r19").bottom).toBe(VIEWPORT);
  });

  it("stays pinned through the scroll event its own scrolling causes", () => {
    const { list, all, heights, box, observer, scroller } = setup(20);
    list.setItems(all);
    heights.set("r19", 200);
    observer().fire();
    // The browser delivers the scroll event for our write later; it must not end following.
    scroller.dispatchEvent(new Event("scroll"));
    heights.set("r18", 120);
    observer().fire();
    expect(box("r19").bottom).toBe(VIEWPORT);
  });

  it("keeps the reader's place instead when they scrolled up", () => {
    const { list, all, heights, box, observer, scroller } = setup(20);
    list.setItems(all);
    scroller.scrollTop = 100;
    scroller.dispatchEvent(new Event("scroll"));
    const before = box("r5").top;
    heights.set("r19", 200);
    observer().fire();
    expect(box("r5").top).toBe(before);
    expect(list.isAtBottom()).toBe(false);
  });
});
