/**
 * A deliberately small markdown: *bold*, _italic_, ~strike~, `code`, ``` blocks and autolinks.
 * It builds DOM nodes from text; no markup is ever parsed, so there is nothing to sanitise.
 */
import { h } from "../dom";
import { externalLink, safeUrl } from "./links";

const FENCE = /```(?:[^\n`]*\n)?([\s\S]*?)```/g;
const INLINE =
  /(`[^`\n]+`)|(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]+?)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]+?)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~(?=\S)([^~\n]+?)~(?![\p{L}\p{N}~])|((?:https?:\/\/|mailto:)[^\s<>"'`]+)/gu;
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
    if (match[1] !== undefined) {
      node = h("code", { className: "rtkw-code", text: match[1].slice(1, -1) });
    } else if (match[2] !== undefined || match[3] !== undefined || match[4] !== undefined) {
      const tag = match[2] !== undefined ? "strong" : match[3] !== undefined ? "em" : "s";
      const el = h(tag);
      appendInline(el, (match[2] ?? match[3] ?? match[4])!, depth + 1);
      node = el;
    } else {
      const raw = match[5]!;
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
