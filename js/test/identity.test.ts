import { describe, expect, it } from "vitest";
import { Identities, idTag, nameKey } from "../src/format/identity";
import { displayText, neutralise } from "../src/format/text";

describe("invisible characters in names", () => {
  it("are shown, not trimmed: U+FEFF, zero-width, marks, separators, bidi, no-break space", () => {
    for (const ch of ["\uFEFF", "\u200B", "\u200C", "\u200D", "\u200E", "\u200F", "\u2028", "\u2029", "\u202A", "\u202E", "\u2066", "\u2069", "\u00A0"]) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      expect(displayText(`${ch}Ada`)).toBe(`<U+${code}>Ada`);
      expect(displayText(`Ada${ch}`)).toBe(`Ada<U+${code}>`);
      expect(neutralise(`A${ch}da`)).toBe(`A<U+${code}>da`);
    }
  });

  it("drop only plain spaces at the edges, and never a marker", () => {
    expect(displayText("  Ada  ")).toBe("Ada");
    expect(displayText(" \u2028 Ada")).toBe("<U+2028> Ada");
    expect(displayText("\nAda")).toBe("<U+000A>Ada");
  });
});

describe("name comparison", () => {
  it("folds width, case, spacing and unseen characters, and a trailing (you)", () => {
    const ada = nameKey("Ada Lovelace");
    for (const lookalike of ["ada lovelace", "  Ada   Lovelace ", "\uFEFFAda\u00A0Lovelace", "Ａｄａ Lovelace", "Ada\u200B Lovelace", "Ada Lovelace (you)", "ADA LOVELACE(You)"]) {
      expect(nameKey(lookalike)).toBe(ada);
    }
    expect(nameKey("Ada Byron")).not.toBe(ada);
  });

  it("flags a name only when someone else holds one that reads the same", () => {
    const ids = new Identities([
      { userId: "u-ada", displayName: "Notebook user" },
      { userId: "u-eve", displayName: "Notebook user (you)" },
      { userId: "u-bob", displayName: "Bob" },
    ]);
    ids.add({ userId: "u-bob", displayName: "bob" }); // the same person under two spellings
    expect(ids.collides({ userId: "u-eve", displayName: "Notebook user (you)" })).toBe(true);
    expect(ids.collides({ userId: "u-ada", displayName: "Notebook user" })).toBe(true);
    expect(ids.collides({ userId: "u-bob", displayName: "Bob" })).toBe(false);
    expect(ids.colliding()).toEqual(["u-ada", "u-eve"]);
  });

  it("tags people by user id: stable, short, different for different ids", () => {
    expect(idTag("u-ada")).toMatch(/^#[0-9a-f]{4}$/);
    expect(idTag("u-ada")).toBe(idTag("u-ada"));
    expect(idTag("u-ada")).not.toBe(idTag("u-eve"));
  });
});
