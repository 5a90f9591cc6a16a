/**
 * A deliberately small markdown: **bold**, __bold__, *bold*, _italic_, ~strike~, `code`, ``` blocks
 * and autolinks.
 * It builds DOM nodes from text; no markup is ever parsed, so there is nothing to sanitise.
 */
import { h } from "../dom";
import { externalLink, safeUrl } from "./links";

const FENCE = /```(?:[^\n`]*\n)?([\s\S]*?)```/g;
// One alternative per construct; the doubled markers come first so `**x**` is not read as `*` + `*x*` + `*`.
// A marker opens before a non-space and closes after one, and never touches a letter or digit
// outside (so snake_case and 2*3*4 stay text).
const INLINE = new RegExp(
  [
    /(`[^`\n]+`)/u.source,
    /(?<![\p{L}\p{N}*])\*\*(?=\S)([^\n]*?\S)\*\*(?![\p{L}\p{N}*])/u.source,
    // `__init__.py` is a file name in a Python chat, not bold: no closing `__` before `.x`.
    /(?<![\p{L}\p{N}_])__(?=\S)([^\n]*?\S)__(?![\p{L}\p{N}_]|\.[\p{L}\p{N}])/u.source,
    /(?<![\p{L}\p{N}*])\*(?=[^\s*])([^*\n]+?)\*(?![\p{L}\p{N}*])/u.source,
    /(?<![\p{L}\p{N}_])_(?=[^\s_])([^_\n]+?)_(?![\p{L}\p{N}_])/u.source,
    /(?<![\p{L}\p{N}~])~(?=\S)([^~\n]+?)~(?![\p{L}\p{N}~])/u.source,
    /((?:https?:\/\/|mailto:)[^\s<>"'`]+)/u.source,
  ].join("|"),
  "gu",
);
/** The element each formatting group becomes: 2 and 3 are `**`/`__`, 4 `*`, 5 `_`, 6 `~`. */
const FORMAT_TAGS = { 2: "strong", 3: "strong", 4: "strong", 5: "em", 6: "s" } as const;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;
const MAX_DEPTH = 3;

function appendInline(parent: Node, text: string, depth: number): void {
  if (depth > MAX_DEPTH) {
    parent.appendChild(document.createTextNode(text));
    return;
  }
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const start = match.index ?? 0;
    let consumed = match[0];
    let node: Node;
    const group = ([2, 3, 4, 5, 6] as const).find((g) => match[g] !== undefined);
    if (match[1] !== undefined) {
      node = h("code", { className: "rtkw-code", text: match[1].slice(1, -1) });
    } else if (group !== undefined) {
      const el = h(FORMAT_TAGS[group]);
      appendInline(el, match[group]!, depth + 1);
      node = el;
    } else {
      const raw = match[7]!;
      const trailing = raw.match(TRAILING_PUNCTUATION)?.[0] ?? "";
      consumed = raw.slice(0, raw.length - trailing.length);
      const url = safeUrl(consumed);
      node = url ? externalLink(url, consumed) : document.createTextNode(consumed);
    }
    if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
    parent.appendChild(node);
    last = start + consumed.length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

/** Renders message text into a fragment of text nodes and a few formatting elements. */
export function renderRichText(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    const start = match.index ?? 0;
    if (start > last) appendInline(fragment, text.slice(last, start), 0);
    const code = h("code", { text: (match[1] ?? "").replace(/\n$/, "") });
    fragment.appendChild(h("pre", { className: "rtkw-pre" }, [code]));
    last = start + match[0].length;
  }
  if (last < text.length) appendInline(fragment, text.slice(last), 0);
  return fragment;
}
