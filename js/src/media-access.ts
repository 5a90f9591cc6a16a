import { safeUrl } from "./format/links";
import type { MediaMode } from "./traits";

/**
 * What decides whether the browser may load an attachment link itself: the `media_mode` trait
 * and the origins the meeting vouches for (`trusted_media_origins`, as `URL.origin` strings).
 */
export interface MediaAccess {
  mode: MediaMode;
  trustedOrigins: ReadonlySet<string>;
}

/**
 * The link as the browser may load it, or null when it must not: `kernel` never, `direct` any
 * http(s) link, `auto` only one on a trusted origin. A message's link is chosen by whoever sent
 * it, so in `auto` any other host is reached only through the kernel's policy (which refuses it),
 * never by the viewer's browser.
 */
export function browserUrl(link: string, access: MediaAccess): URL | null {
  if (access.mode === "kernel") return null;
  const url = safeUrl(link);
  if (!url || url.protocol === "mailto:") return null;
  if (access.mode === "direct") return url;
  return access.trustedOrigins.has(url.origin) ? url : null;
}
