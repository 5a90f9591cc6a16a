import { h } from "../dom";
import { neutralise } from "./text";

const ALLOWED_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** The parsed URL if it is absolute and http(s) or mailto, otherwise null. */
export function safeUrl(raw: string | undefined | null): URL | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return ALLOWED_PROTOCOLS.has(url.protocol) ? url : null;
}

/** An external link that cannot reach back into the page (no opener, no referrer). */
export function externalLink(url: URL, label: string): HTMLAnchorElement {
  return h("a", {
    className: "rtkw-link",
    text: neutralise(label),
    attrs: {
      href: url.href,
      target: "_blank",
      rel: "noopener noreferrer nofollow",
      title: url.protocol === "mailto:" ? url.href : `${url.host} — ${url.href}`,
    },
  });
}
