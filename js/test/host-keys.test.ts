// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";

import { isHostShortcut, keepKeysInside } from "../src/view/host-keys";

const SUPPRESS = "data-lm-suppress-shortcuts";

function panel(): { root: HTMLElement; row: HTMLElement; input: HTMLTextAreaElement } {
  const root = document.createElement("section");
  const row = document.createElement("article");
  row.tabIndex = 0;
  const input = document.createElement("textarea");
  root.append(row, input);
  document.body.append(root);
  keepKeysInside(root);
  return { root, row, input };
}

/** What a listener on the document (where JupyterLab's shortcut matcher listens) sees. */
function suppressedAtDocument(target: HTMLElement, init: KeyboardEventInit): boolean {
  let seen: boolean | null = null;
  const listen = (): void => {
    seen = target.hasAttribute(SUPPRESS);
  };
  document.addEventListener("keydown", listen);
  target.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, ...init }));
  document.removeEventListener("keydown", listen);
  if (seen === null) throw new Error("the keydown never reached the document");
  return seen;
}

describe("keepKeysInside", () => {
  afterEach(() => {
    vi.useRealTimers();
    document.body.replaceChildren();
  });

  it("marks whatever gains focus inside the panel, and nothing outside it", () => {
    const { row, input } = panel();
    const outside = document.createElement("button");
    document.body.append(outside);
    for (const el of [row, input]) {
      el.focus();
      expect(el.getAttribute(SUPPRESS)).toBe("true");
    }
    outside.focus();
    expect(outside.hasAttribute(SUPPRESS)).toBe(false);
  });

  it("lets the notebook's Ctrl/Cmd shortcuts through for one event, and no other key", () => {
    vi.useFakeTimers();
    const { row, input } = panel();
    input.focus();
    row.focus();
    expect(suppressedAtDocument(input, { key: "s", ctrlKey: true })).toBe(false);
    vi.runAllTimers();
    expect(input.getAttribute(SUPPRESS)).toBe("true");
    expect(suppressedAtDocument(row, { key: "S", metaKey: true, shiftKey: true })).toBe(false);
    vi.runAllTimers();
    for (const init of [{ key: "a" }, { key: "d" }, { key: "ArrowUp" }, { key: "Enter", ctrlKey: true },
      { key: "c", ctrlKey: true }, { key: "z", metaKey: true }, { key: "Escape" }]) {
      expect(suppressedAtDocument(input, init)).toBe(true);
      expect(suppressedAtDocument(row, init)).toBe(true);
    }
  });

  it("tells the notebook's shortcuts from the panel's own", () => {
    expect(isHostShortcut({ key: "s", ctrlKey: true, metaKey: false })).toBe(true);
    expect(isHostShortcut({ key: "C", ctrlKey: true, metaKey: false })).toBe(false);
    expect(isHostShortcut({ key: "b", ctrlKey: false, metaKey: true })).toBe(true);
    expect(isHostShortcut({ key: "s", ctrlKey: false, metaKey: false })).toBe(false);
  });
});
