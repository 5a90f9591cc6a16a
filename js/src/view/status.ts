import { Listeners, button, h } from "../dom";
import { formatWait } from "../format/time";
import type { ErrorPayload } from "../protocol";

/** The panel's own state for a view with no live kernel behind it (e.g. a notebook reopened from disk). */
export const NO_KERNEL = "no-kernel";

const CONNECTION_WORDS: Record<string, string> = {
  idle: "Not connected yet",
  connected: "Connected",
  connecting: "Connecting…",
  joining: "Joining the meeting…",
  reconnecting: "Connection lost, reconnecting…",
  disconnected: "Disconnected",
  closed: "Chat closed",
  failed: "Could not connect",
  [NO_KERNEL]: "Not connected — run the cell to reconnect",
};

/** The connection state in words. */
export function connectionText(state: string): string {
  return CONNECTION_WORDS[state] ?? (state ? `Connection: ${state}` : "Not connected");
}

/** A failed request or `last_error`, explained to the reader. */
export function errorText(error: Pick<ErrorPayload, "message" | "retryAfterMs"> & { code: string }): string {
  switch (error.code) {
    case "rate_limited":
      return error.retryAfterMs !== undefined
        ? `You are sending too fast. Try again in ${formatWait(error.retryAfterMs)}.`
        : "You are sending too fast. Wait a moment and try again.";
    case "text_too_long":
      return `The message is too long. ${error.message}`;
    case "empty":
      return "Empty messages are not sent.";
    case "forbidden":
      return `You are not allowed to do that. ${error.message}`;
    case "not_found":
      return "That message no longer exists.";
    case "upload_refused":
      return `The upload was refused: ${error.message}`;
    case "disconnected":
      return "Not connected to the meeting; try again when the connection is back.";
    case "timeout":
      return "The kernel did not answer in time. Is it busy or stopped?";
    default:
      return `Something went wrong: ${error.message}`;
  }
}

/** The status line (role=status) and a dismissible error banner (role=alert). */
export class StatusArea {
  readonly el: HTMLElement;
  private readonly line: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly listeners = new Listeners();

  constructor() {
    this.line = h("div", { className: "rtkw-status", attrs: { role: "status" } });
    this.bannerText = h("span", { className: "rtkw-banner-text" });
    const dismiss = button("Dismiss error", { className: "rtkw-icon-button", icon: "✕" });
    this.banner = h("div", { className: "rtkw-banner", attrs: { role: "alert", hidden: true } }, [this.bannerText, dismiss]);
    this.el = h("div", { className: "rtkw-status-area" }, [this.line, this.banner]);
    this.listeners.on(dismiss, "click", () => this.clearError());
  }

  setConnection(state: string): void {
    this.line.textContent = connectionText(state);
    this.line.dataset.state = state;
  }

  showError(error: Pick<ErrorPayload, "message" | "retryAfterMs"> & { code: string }): void {
    this.bannerText.textContent = errorText(error);
    this.banner.hidden = false;
  }

  clearError(): void {
    this.banner.hidden = true;
    this.bannerText.textContent = "";
  }

  get errorShown(): string | null {
    return this.banner.hidden ? null : this.bannerText.textContent;
  }

  destroy(): void {
    this.listeners.removeAll();
  }
}
