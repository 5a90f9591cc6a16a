// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderRichText } from "../src/format/markdown";
import { XSS_PAYLOADS, audit } from "./dom-audit";

function render(text: string): HTMLElement {
  const div = document.createElement("div");
  div.appendChild(renderRichText(text));
  return div;
}

const structure = (el: Element): string =>
  [...el.childNodes].map((n) => (n.nodeType === 3 ? JSON.stringify(n.textContent) : `<${(n as Element).tagName.toLowerCase()}>${structure(n as Element)}`)).join("");

describe("mini markdown", () => {
  it("renders bold, italic, strike and inline code as elements", () => {
    expect(structure(render("a *b* _c_ ~d~ `e*f*`"))).toBe('"a "<strong>"b"" "<em>"c"" "<s>"d"" "<code>"e*f*"');
  });

  it("leaves snake_case, 2*3*4 and unclosed markers alone", () => {
    for (const text of ["snake_case_name", "2*3*4", "*open", "a _ b _ c"]) {
      expect(render(text).children).toHaveLength(0);
      expect(render(text).textContent).toBe(text);
    }
  });

  it("renders fenced code blocks verbatim", () => {
    const el = render("before\n```py\nx = *1*\n```\nafter");
    expect(el.querySelector("pre code")?.textContent).toBe("x = *1*");
    expect(el.textContent).toBe("before\nx = *1*\nafter");
  });

  it("autolinks http(s) and mailto with a safe rel, leaving trailing punctuation outside", () => {
    const el = render("see https://example.com/a_b_c. or mailto:ada@example.com!");
    const links = [...el.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/a_b_c", "mailto:ada@example.com"]);
    expect(links.every((a) => a.rel === "noopener noreferrer nofollow" && a.target === "_blank")).toBe(true);
    expect(el.textContent).toBe("see https://example.com/a_b_c. or mailto:ada@example.com!");
  });

  it("does not link other schemes", () => {
    const el = render("javascript:alert(1) data:text/html,x ftp://x");
    expect(el.querySelectorAll("a")).toHaveLength(0);
  });

  it.each(XSS_PAYLOADS)("keeps %j as inert text", (payload) => {
    const el = render(payload);
    const report = audit(el);
    expect(report.onAttributes).toEqual([]);
    expect(report.badLinks).toEqual([]);
    expect(report.styled).toEqual([]);
    expect(el.querySelectorAll("img, script, svg, iframe, form, button, style, math, use")).toHaveLength(0);
    // Every character survives as text (whitespace in code fences aside).
    expect(el.textContent!.replace(/\s|`|\*/g, "")).toBe(payload.replace(/\s|`|\*/g, ""));
  });
});

describe("doubled markers", () => {
  it("render **bold** and __bold__ as strong, without literal markers", () => {
    expect(structure(render("Can you share the **latest** numbers?"))).toBe('"Can you share the "<strong>"latest"" numbers?"');
    expect(structure(render("__really__ now"))).toBe('<strong>"really"" now"');
    expect(structure(render("**two words**"))).toBe('<strong>"two words"');
  });

  it("nest: italic, strike and code inside bold, bold inside italic", () => {
    expect(structure(render("**bold _it_ ~s~ `c`**"))).toBe('<strong>"bold "<em>"it"" "<s>"s"" "<code>"c"');
    expect(structure(render("_see **this**_"))).toBe('<em>"see "<strong>"this"');
    expect(structure(render("**a *b* c**"))).toBe('<strong>"a "<strong>"b"" c"');
  });

  it("leave unbalanced and spaced markers as text", () => {
    for (const text of ["**open", "close**", "** spaced **", "__init__.py", "a**b**c", "***", "**", "x __ y __ z"]) {
      const el = render(text);
      expect(el.querySelector("strong, em, s")).toBeNull();
      expect(el.textContent).toBe(text);
    }
  });

  it("never parse markup inside the markers", () => {
    const el = render("**<img src=x onerror=alert(1)>**");
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("strong")?.textContent).toBe("<img src=x onerror=alert(1)>");
  });
});
