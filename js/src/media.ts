import type { Invoker } from "./invoke";
import { KINDS } from "./protocol";
import { type MediaAccess, browserUrl } from "./media-access";
import { isPreviewableImage } from "./upload";

export interface FetchedMedia {
  url: string;
  mime: string;
  name: string;
}

/**
 * Fetches attachments through the kernel (`media` request) into object URLs, shared by all
 * views of a model. Least recently used URLs are revoked beyond `capacity`.
 */
export class MediaCache {
  private readonly entries = new Map<string, Promise<FetchedMedia>>();

  constructor(
    private readonly invoker: Invoker,
    private readonly capacity = 48,
  ) {}

  fetch(link: string): Promise<FetchedMedia> {
    const cached = this.entries.get(link);
    if (cached) {
      this.entries.delete(link);
      this.entries.set(link, cached);
      return cached;
    }
    const loading = this.load(link);
    this.entries.set(link, loading);
    loading.catch(() => this.entries.delete(link));
    this.trim();
    return loading;
  }

  dispose(): void {
    for (const entry of this.entries.values()) entry.then((m) => URL.revokeObjectURL(m.url)).catch(() => {});
    this.entries.clear();
  }

  private async load(link: string): Promise<FetchedMedia> {
    const { response, buffers } = await this.invoker.request(KINDS.media, { link }, { timeoutMs: 60_000 });
    const mime = typeof response.mime === "string" ? response.mime : "application/octet-stream";
    const bytes = buffers[0];
    const copy = bytes ? new Uint8Array(bytes.byteLength) : null;
    copy?.set(new Uint8Array(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength));
    const blob = new Blob(copy ? [copy] : [], { type: mime });
    return { url: URL.createObjectURL(blob), mime, name: typeof response.name === "string" ? response.name : "" };
  }

  private trim(): void {
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Promise<FetchedMedia>];
      this.entries.delete(oldest);
      entry.then((m) => URL.revokeObjectURL(m.url)).catch(() => {});
    }
  }
}

/**
 * Shows an image attachment in `img` following `media_mode`: `direct` loads any http(s) link
 * itself, `kernel` always fetches through the kernel, `auto` loads a link on a trusted origin
 * itself (falling back to the kernel on error) and sends any other to the kernel. Only raster
 * types fetched through the kernel are shown.
 */
export function loadImage(img: HTMLImageElement, link: string, access: MediaAccess, cache: MediaCache, onFail: () => void): () => void {
  let active = true;
  const mode = access.mode;
  const direct = browserUrl(link, access);
  const viaKernel = (): void => {
    cache
      .fetch(link)
      .then((media) => {
        if (!active) return;
        if (isPreviewableImage(media.mime)) img.src = media.url;
        else onFail();
      })
      .catch(() => active && onFail());
  };
  const onError = (): void => {
    img.removeEventListener("error", onError);
    if (active && mode === "auto") viaKernel();
    else if (active) onFail();
  };
  if (direct) {
    img.addEventListener("error", onError);
    img.referrerPolicy = "no-referrer";
    img.src = direct.href;
  } else if (mode === "direct") {
    onFail();
  } else {
    viaKernel();
  }
  return () => {
    active = false;
    img.removeEventListener("error", onError);
  };
}

/**
 * Saves an attachment. `direct` opens any http(s) link; `auto` fetches a link on a trusted origin
 * and falls back to the kernel if that fails (offline server, CORS), and sends any other to the
 * kernel; `kernel` always goes through the kernel.
 */
export async function downloadAttachment(link: string, name: string, access: MediaAccess, cache: MediaCache): Promise<void> {
  const fetchable = browserUrl(link, access);
  if (access.mode === "direct") {
    if (!fetchable) throw new Error("This file has no usable link");
    clickLink(fetchable.href, name, true);
    return;
  }
  if (fetchable) {
    try {
      const response = await fetch(fetchable.href, { credentials: "omit", referrerPolicy: "no-referrer" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      clickLink(url, name || "download", false);
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return;
    } catch {
      // Fall through to the kernel, which can reach servers the browser cannot.
    }
  }
  const media = await cache.fetch(link);
  clickLink(media.url, name || media.name || "download", false);
}

function clickLink(href: string, name: string, external: boolean): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  if (external) {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}
