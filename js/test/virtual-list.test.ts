// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { VirtualList } from "../src/view/virtual-list";

interface Item {
  id: string;
  height: number;
}

/** Variable heights (20–79 px) that the list only learns by measuring. */
const item = (n: number): Item => ({ id: `i${n}`, height: 20 + ((n * 37) % 60) });
const items = (from: number, to: number): Item[] => Array.from({ length: to - from }, (_, i) => item(from + i));

/** A scroll container with a fixed viewport and a scrollTop clamped like a browser's. */
function setup(initialViewport = 500) {
  let viewport = initialViewport;
  const scroller = document.createElement("div");
  const content = document.createElement("div");
  scroller.appendChild(content);
  document.body.appendChild(scroller);
  let top = 0;
  let renders = 0;
  let list: VirtualList<Item>;
  Object.defineProperty(scroller, "clientHeight", { get: () => viewport });
  Object.defineProperty(scroller, "scrollTop", {
    get: () => top,
    set: (v: number) => {
      top = Math.max(0, Math.min(v, Math.max(0, list.totalHeight - viewport)));
    },
  });
  const heights = new Map<string, number>();
  list = new VirtualList<Item>({
    scroller,
    content,
    key: (it) => it.id,
    same: (a, b) => a === b,
    estimate: () => 50,
    render: (it) => {
      renders++;
      const el = document.createElement("div");
      el.dataset.key = it.id;
      el.textContent = it.id;
      heights.set(it.id, it.height);
      return el;
    },
    measure: (el) => heights.get(el.dataset.key!) ?? 0,
    overscanPx: 200,
  });
  const scrollTo = (y: number): void => {
    scroller.scrollTop = y;
    scroller.dispatchEvent(new Event("scroll"));
  };
  const rows = (): HTMLElement[] => [...content.children].filter((el) => (el as HTMLElement).dataset.key) as HTMLElement[];
  /** The y of a row's top inside the content, computed from the DOM: spacer + rows before it. */
  const topOf = (key: string): number => {
    let y = parseFloat((content.firstElementChild as HTMLElement).style.height);
    for (const row of rows()) {
      if (row.dataset.key === key) return y;
      y += heights.get(row.dataset.key!)!;
    }
    throw new Error(`${key} not rendered`);
  };
  /** Hides or shows the scroller the way display: none does: no viewport, scrollTop back to 0. */
  const setViewport = (height: number): void => {
    viewport = height;
    if (height === 0) top = 0;
  };
  return { list, scroller, content, rows, scrollTo, topOf, setViewport, renders: () => renders };
}

describe("VirtualList", () => {
  it("renders only the rows near the viewport out of 100k, starting at the bottom", () => {
    const { list, rows, scroller } = setup();
    list.setItems(items(0, 100_000));
    const rendered = rows();
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(60);
    expect(rendered.at(-1)?.dataset.key).toBe("i99999");
    expect(list.isAtBottom()).toBe(true);
    expect(scroller.scrollTop).toBe(list.totalHeight - 500);
  });

  it("moves the window with the scroll position and keeps spacers consistent", () => {
    const { list, rows, scrollTo, content, scroller } = setup();
    list.setItems(items(0, 100_000));
    scrollTo(list.totalHeight / 2);
    const keys = rows().map((r) => Number(r.dataset.key!.slice(1)));
    expect(keys.length).toBeLessThan(60);
    expect(keys[0]).toBeGreaterThan(30_000);
    expect(keys.at(-1)).toBeLessThan(70_000);
    // Consecutive, in order.
    keys.forEach((k, i) => expect(k).toBe(keys[0]! + i));
    // Top spacer + measured rows + bottom spacer == total height.
    const [top, bottom] = [content.firstElementChild, content.lastElementChild].map((el) => parseFloat((el as HTMLElement).style.height));
    const rowsHeight = keys.reduce((sum, k) => sum + item(k).height, 0);
    expect(top! + rowsHeight + bottom!).toBeCloseTo(list.totalHeight, 3);
    // The viewport is covered by rendered rows.
    expect(top!).toBeLessThanOrEqual(scroller.scrollTop);
    expect(top! + rowsHeight).toBeGreaterThanOrEqual(scroller.scrollTop + 500);
    expect(list.isAtBottom()).toBe(false);
  });

  it("keeps the reader's place when older items are prepended", () => {
    const { list, scrollTo, topOf, scroller } = setup();
    list.setItems(items(1000, 2000));
    scrollTo(20_000);
    const anchor = list.renderedRange.start + 5;
    const key = `i${1000 + anchor}`;
    const before = topOf(key) - scroller.scrollTop;
    list.setItems(items(0, 2000));
    expect(topOf(key) - scroller.scrollTop).toBeCloseTo(before, 3);
  });

  it("follows new items at the bottom, but not when the reader scrolled up", () => {
    const { list, rows, scrollTo } = setup();
    list.setItems(items(0, 100));
    list.setItems(items(0, 101));
    expect(rows().at(-1)?.dataset.key).toBe("i100");
    expect(list.isAtBottom()).toBe(true);
    scrollTo(0);
    list.setItems(items(0, 102));
    expect(rows()[0]?.dataset.key).toBe("i0");
    expect(rows().some((r) => r.dataset.key === "i101")).toBe(false);
  });

  it("at the bottom of a partial window, keeps the reader's place as the next pages arrive", () => {
    const { list, scrollTo, topOf, scroller } = setup();
    list.setItems(items(0, 200), false);
    scrollTo(list.totalHeight);
    expect(list.isAtBottom()).toBe(true);
    const before = topOf("i199") - scroller.scrollTop;
    // The next page, then the one that reaches the newest item: the reader stays on i199.
    list.setItems(items(0, 300), false);
    expect(topOf("i199") - scroller.scrollTop).toBeCloseTo(before, 3);
    scrollTo(list.totalHeight);
    const last = topOf("i299") - scroller.scrollTop;
    list.setItems(items(100, 400), true);
    expect(topOf("i299") - scroller.scrollTop).toBeCloseTo(last, 3);
    expect(list.isAtBottom()).toBe(false);
    // Once the reader reaches the newest item, new items are followed again.
    scrollTo(list.totalHeight);
    list.setItems(items(100, 401), true);
    expect(list.isAtBottom()).toBe(true);
  });

  it("keeps following the bottom through a moment hidden (a theme switch)", () => {
    const { list, scroller, setViewport } = setup();
    list.setItems(items(0, 200));
    setViewport(0);
    scroller.dispatchEvent(new Event("scroll"));
    setViewport(500);
    list.measure();
    list.setItems(items(0, 201));
    expect(list.isAtBottom()).toBe(true);
    expect(scroller.scrollTop).toBe(list.totalHeight - 500);
  });

  it("scrolls to a row by key and reuses rendered rows", () => {
    const { list, rows, renders } = setup();
    const all = items(0, 10_000);
    list.setItems(all);
    expect(list.scrollToKey("i1234")).toBe(true);
    expect(rows().some((r) => r.dataset.key === "i1234")).toBe(true);
    const count = renders();
    list.setItems(all);
    expect(renders()).toBe(count);
    list.refresh("i1234");
    expect(renders()).toBe(count + 1);
    expect(list.scrollToKey("missing")).toBe(false);
  });

  it("cleans up its DOM and listeners", () => {
    const { list, content, scrollTo, renders } = setup();
    list.setItems(items(0, 100));
    list.destroy();
    expect(content.children).toHaveLength(0);
    const count = renders();
    scrollTo(100);
    expect(renders()).toBe(count);
  });
});
