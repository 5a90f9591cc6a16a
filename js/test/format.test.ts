import { describe, expect, it } from "vitest";
import { safeUrl } from "../src/format/links";
import { formatSize } from "../src/format/size";
import { avatarHue, codePointLength, displayText, initials, neutralise } from "../src/format/text";
import { counterState } from "../src/view/composer";

describe("names and file names", () => {
  it("makes bidi and zero-width characters visible", () => {
    expect(neutralise("evil\u202Egnp.js")).toBe("evil<U+202E>gnp.js");
    expect(neutralise("a\u2066b\u2069c\u200Bd\uFEFF")).toBe("a<U+2066>b<U+2069>c<U+200B>d<U+FEFF>");
    expect(neutralise("line\nbreak\u0000")).toBe("line<U+000A>break<U+0000>");
    expect(neutralise("Zoë 🦊 日本")).toBe("Zoë 🦊 日本");
  });

  it("shortens long names by code point", () => {
    const shown = displayText("🦊".repeat(100), 10);
    expect(Array.from(shown)).toHaveLength(10);
    expect(shown.endsWith("…")).toBe(true);
  });

  it("derives initials and a stable colour", () => {
    expect(initials("Ada Lovelace")).toBe("AL");
    expect(initials("ada")).toBe("A");
    expect(initials("Jean-Luc de la Picard")).toBe("JP");
    expect(initials("\u202E  ")).toBe("?");
    expect(initials("émile zola")).toBe("ÉZ");
    expect(avatarHue("ada")).toBe(avatarHue("ada"));
    expect(avatarHue("ada")).not.toBe(avatarHue("bob"));
    expect(avatarHue("x")).toBeGreaterThanOrEqual(0);
    expect(avatarHue("x")).toBeLessThan(360);
  });

  it("counts code points like Python", () => {
    expect(codePointLength("🦊🦊")).toBe(2);
    expect("🦊🦊".length).toBe(4);
  });
});

describe("sizes", () => {
  it("are readable", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1023)).toBe("1023 B");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatSize(3.25 * 1024 ** 3)).toBe("3.3 GB");
    expect(formatSize(-1)).toBe("unknown size");
  });
});

describe("link allowlist", () => {
  it("keeps absolute http, https and mailto", () => {
    expect(safeUrl("https://example.com/a?b#c")?.href).toBe("https://example.com/a?b#c");
    expect(safeUrl("http://127.0.0.1:8080/")?.protocol).toBe("http:");
    expect(safeUrl("mailto:ada@example.com")?.protocol).toBe("mailto:");
  });

  it("rejects every other scheme, obfuscated or not, and relative links", () => {
    for (const raw of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      "java\nscript:alert(1)",
      " javascript:alert(1)",
      "\u0001javascript:alert(1)",
      "&#106;avascript:alert(1)",
      "vbscript:msgbox(1)",
      "data:text/html,<script>alert(1)</script>",
      "file:///etc/passwd",
      "//evil.example/x",
      "/relative",
      "blob:https://example.com/uuid",
      "",
      undefined,
    ]) {
      expect(safeUrl(raw), String(raw)).toBeNull();
    }
  });
});

describe("composer counter", () => {
  it("appears near the limit and flags going over", () => {
    expect(counterState(10, 2000)).toMatchObject({ visible: false, over: false });
    expect(counterState(1800, 2000)).toMatchObject({ visible: true, remaining: 200, over: false });
    expect(counterState(2001, 2000)).toMatchObject({ visible: true, remaining: -1, over: true });
    expect(counterState(3, 20)).toMatchObject({ visible: false });
    expect(counterState(10, 20)).toMatchObject({ visible: true });
  });
});
