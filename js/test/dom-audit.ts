/** Helpers that check a rendered subtree holds only what the renderer meant to build. */

export const XSS_PAYLOADS = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "<svg onload=alert(1)>",
  "<svg><use href=data:image/svg+xml;base64,PHN2Zz4=></use></svg>",
  "<a href=\"javascript:alert(1)\">x</a>",
  "[x](javascript:alert(1))",
  "javascript:alert(1)",
  "java\tscript:alert(1)",
  "&#106;avascript:alert(1)",
  "<iframe src=https://evil.example></iframe>",
  "<form action=https://evil.example><button>go</button></form>",
  "<button data-commandlinker-command=terminal:create-new>x</button>",
  "<div style=\"position:fixed;inset:0\">cover</div>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "\"><img src=x onerror=alert(1)>",
  "*<img src=x onerror=alert(1)>*",
  "`<img src=x onerror=alert(1)>`",
  "```\n<script>alert(1)</script>\n```",
  "https://example.com/\"onmouseover=\"alert(1)",
  "<img id=location name=body>",
];

/** Elements the message renderer may create. */
export const ALLOWED_TAGS = new Set([
  "ARTICLE", "DIV", "SPAN", "BDI", "TIME", "STRONG", "EM", "S", "CODE", "PRE", "A", "BUTTON", "IMG", "TEXTAREA", "PROGRESS",
]);

export interface Audit {
  onAttributes: string[];
  unexpectedTags: string[];
  badLinks: string[];
  styled: string[];
}

/** Lists every event-handler attribute, unexpected tag, non-allowlisted link and inline style. */
export function audit(root: Element): Audit {
  const result: Audit = { onAttributes: [], unexpectedTags: [], badLinks: [], styled: [] };
  for (const el of [root, ...root.querySelectorAll("*")]) {
    if (!ALLOWED_TAGS.has(el.tagName)) result.unexpectedTags.push(el.tagName);
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) result.onAttributes.push(`${el.tagName}.${attr.name}`);
    }
    if (el.tagName === "A") {
      const href = el.getAttribute("href") ?? "";
      const rel = el.getAttribute("rel") ?? "";
      if (!/^(https?:|mailto:)/.test(href) || !rel.includes("noopener") || !rel.includes("noreferrer")) result.badLinks.push(href);
    }
    const style = el.getAttribute("style");
    // The avatar's colour is the only inline style the renderer sets.
    if (style && !(el.classList.contains("rtkw-avatar") && /^background-color: (hsl|rgb)\(/.test(style))) result.styled.push(style);
  }
  return result;
}
