import type { Invoker } from "./invoke";
import { KINDS } from "./protocol";

export const CHUNK_SIZE = 256 * 1024;

export interface UploadOptions {
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called with the fraction of chunks the kernel has acknowledged. */
  onProgress?: (fraction: number) => void;
}

export function newUploadId(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Streams a file to the kernel in `upload-chunk` requests, one at a time so the comm is not
 * flooded, and resolves with the upload id to pass to `send`.
 */
export async function uploadFile(invoker: Invoker, file: Blob, name: string, options: UploadOptions = {}): Promise<string> {
  const chunkSize = options.chunkSize ?? CHUNK_SIZE;
  const uploadId = newUploadId();
  const total = Math.max(1, Math.ceil(file.size / chunkSize));
  const mime = file.type || "application/octet-stream";
  options.onProgress?.(0);
  for (let index = 0; index < total; index++) {
    const bytes = await readBytes(file.slice(index * chunkSize, Math.min(file.size, (index + 1) * chunkSize)));
    const requestOptions = options.signal ? { signal: options.signal, buffers: [bytes] } : { buffers: [bytes] };
    await invoker.request(
      KINDS.uploadChunk,
      { uploadId, index, last: index === total - 1, name, mime, size: file.size },
      requestOptions,
    );
    options.onProgress?.((index + 1) / total);
  }
  return uploadId;
}

/** `Blob.arrayBuffer`, with a FileReader fallback for engines that lack it (Safari < 14, jsdom). */
export function readBytes(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === "function") return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsArrayBuffer(blob);
  });
}

const PREVIEWABLE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** Raster images the browser can show safely; everything else (SVG included) is a file. */
export function isPreviewableImage(mime: string): boolean {
  return PREVIEWABLE_IMAGES.has(mime.toLowerCase());
}
