// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { keepKeysInside } from "../src/view/host-keys";

describe("keepKeysInside", () => {
  it("marks whatever gains focus inside the panel, and nothing outside it", () => {
    const root = document.createElement("section");
    const row = document.createElement("article");
    row.tabIndex = 0;
    const input = document.createElement("textarea");
    root.append(row, input);
    const outside = document.createElement("button");
    document.body.append(root, outside);
    keepKeysInside(root);
    for (const el of [row, input]) {
      el.focus();
      expect(el.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    }
    outside.focus();
    expect(outside.hasAttribute("data-lm-suppress-shortcuts")).toBe(false);
    root.remove();
    outside.remove();
  });
});
