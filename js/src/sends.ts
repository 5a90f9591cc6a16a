import { RequestError } from "./invoke";
import type { SessionParts } from "./paging";
import { KINDS, type WireMessage } from "./protocol";
import type { PendingSend } from "./store";
import { isPreviewableImage, newUploadId, uploadFile } from "./upload";

export interface Attachment {
  file: Blob;
  name: string;
}

/**
 * The panel's own sends: each shows as a pending row until the kernel answers, then as its
 * message. The kernel tags the message's delta with the send's `localId` (it maps the send's
 * envelope id to it), so the row is swapped in one step whichever of the delta and the
 * `send-response` arrives first.
 */
export class OptimisticSends {
  private readonly uploads = new Map<string, AbortController>();
  private readonly retries = new Map<string, () => Promise<WireMessage | null>>();

  constructor(private readonly parts: SessionParts) {}

  private get state() {
    return this.parts.store.getState();
  }

  dispose(): void {
    for (const controller of this.uploads.values()) controller.abort();
  }

  sendText(text: string, to: string[] = []): Promise<WireMessage | null> {
    const pending = this.addPending({ kind: "text", text, to }, () => this.sendText(text, to));
    return this.finishSend(pending, async () => {
      const msg = to.length ? { text, to, localId: pending.localId } : { text, localId: pending.localId };
      return (await this.parts.invoker.request(KINDS.send, msg)).response.message;
    });
  }

  /** Uploads in chunks (progress on the pending row), then sends the upload as a message. */
  sendAttachment(attachment: Attachment, to: string[] = []): Promise<WireMessage | null> {
    const as: "image" | "file" = isPreviewableImage(attachment.file.type) ? "image" : "file";
    const pending = this.addPending({ kind: as, fileName: attachment.name, to, progress: 0 }, () => this.sendAttachment(attachment, to));
    const controller = new AbortController();
    this.uploads.set(pending.localId, controller);
    return this.finishSend(pending, async () => {
      const uploadId = await uploadFile(this.parts.invoker, attachment.file, attachment.name, {
        signal: controller.signal,
        onProgress: (progress) => this.parts.store.dispatch({ type: "pending-update", localId: pending.localId, patch: { progress } }),
      });
      const msg = to.length ? { uploadId, as, to, localId: pending.localId } : { uploadId, as, localId: pending.localId };
      return (await this.parts.invoker.request(KINDS.send, msg, { timeoutMs: 60_000 })).response.message;
    });
  }

  /** Drops a failed optimistic send from the list. */
  discardPending(localId: string): void {
    this.retries.delete(localId);
    this.parts.store.dispatch({ type: "pending-remove", localId });
  }

  /** Stops an upload in progress; its pending row goes away. */
  cancelUpload(localId: string): void {
    this.uploads.get(localId)?.abort();
  }

  /** Sends a failed message again, as a new pending send. */
  retryPending(localId: string): Promise<WireMessage | null> {
    const retry = this.retries.get(localId);
    this.discardPending(localId);
    return retry ? retry() : Promise.resolve(null);
  }

  private addPending(fields: Omit<PendingSend, "localId" | "time" | "status">, retry: () => Promise<WireMessage | null>): PendingSend {
    // Unique across tabs: every view of the kernel's widget receives the same deltas.
    const pending: PendingSend = { ...fields, localId: `local-${newUploadId()}`, time: Date.now(), status: "sending" };
    this.retries.set(pending.localId, retry);
    this.parts.store.dispatch({ type: "pending-add", pending });
    return pending;
  }

  private async finishSend(pending: PendingSend, run: () => Promise<WireMessage>): Promise<WireMessage | null> {
    try {
      const message = await run();
      this.retries.delete(pending.localId);
      this.parts.store.dispatch({ type: "sent", localId: pending.localId, message });
      return message;
    } catch (error) {
      const failure = asRequestError(error);
      const delivered = this.deliveredFor(pending.localId);
      if (delivered !== undefined) {
        // Its delta already showed the message (e.g. the reply timed out after the kernel sent it).
        this.retries.delete(pending.localId);
        return delivered;
      }
      if (failure.code === "aborted") {
        this.discardPending(pending.localId);
        return null;
      }
      this.parts.store.dispatch({ type: "pending-update", localId: pending.localId, patch: { status: "failed", error: failure } });
      this.parts.emitError(failure);
      return null;
    } finally {
      this.uploads.delete(pending.localId);
    }
  }

  /** The delivered message of a send whose pending row a delta already resolved, if it is loaded. */
  private deliveredFor(localId: string): WireMessage | null | undefined {
    if (this.state.pending.some((p) => p.localId === localId)) return undefined;
    for (const message of this.state.byId.values()) if (message.localId === localId) return message;
    return this.retries.has(localId) ? null : undefined;
  }
}

export function asRequestError(error: unknown): RequestError {
  return error instanceof RequestError ? error : new RequestError({ code: "internal", message: String(error) });
}
