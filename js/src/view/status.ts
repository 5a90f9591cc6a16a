import { Listeners, button, h } from "../dom";
import { formatWait } from "../format/time";
import type { ErrorPayload } from "../protocol";
import type { ConnectionDetail } from "../traits";
import type { KernelState } from "./liveness";

/** The panel's own state for a view with no live kernel behind it (e.g. a notebook reopened from disk). */
export const NO_KERNEL = "no-kernel";

const CONNECTION_WORDS: Record<string, string> = {
  idle: "Not connected yet",
  connected: "Connected",
  connecting: "Connecting…",
  joining: "Joining the meeting…",
  reconnecting: "Connection lost, reconnecting…",
  disconnected: "Left the meeting — create a new Meeting and widget to chat again",
  closed: "Chat closed — create a new widget to chat again",
  failed: "Could not connect",
  replay: "Past session, read-only",
  [NO_KERNEL]: "Not connected — run the cell to reconnect",
};

/** The connection state in words. */
export function connectionText(state: string): string {
  return CONNECTION_WORDS[state] ?? (state ? `Connection: ${state}` : "Not connected");
}

/** Everything the status line shows: the meeting's connection and whether the kernel is there. */
export interface ConnectionView {
  /** The `connection_state` trait. */
  state: string;
  /** The `connection_detail` trait, when the kernel sends one. */
  detail: ConnectionDetail | null;
  kernel: KernelState;
}

/** What the status line says, and whether it offers to reconnect. */
export interface StatusLine {
  /** For styling: a connection state, or the kernel's when that is what matters. */
  tone: string;
  text: string;
  canReconnect: boolean;
}

/** The status line for a connection view at time `now`: words a reader can act on. */
export function statusLine(view: ConnectionView, now: number = Date.now()): StatusLine {
  if (view.kernel === "none") return { tone: NO_KERNEL, text: connectionText(NO_KERNEL), canReconnect: false };
  if (view.kernel === "silent") {
    return {
      tone: "kernel-silent",
      text: "The kernel is not answering (busy, restarted or shut down). If it restarted, run the widget's cell again.",
      canReconnect: false,
    };
  }
  const detail = view.detail && view.detail.state === view.state ? view.detail : null;
  switch (view.state) {
    case "connected":
      // Traits say connected; only an answer from the kernel proves it is still true.
      return view.kernel === "proven"
        ? { tone: "connected", text: "Connected", canReconnect: false }
        : { tone: "checking", text: "Checking the connection…", canReconnect: false };
    case "reconnecting": {
      const attempt = detail && detail.attempt > 0 ? ` (attempt ${detail.attempt})` : "";
      const next = detail?.nextAttemptAt;
      const when = next === null || next === undefined ? "" : next - now > 500 ? `; next try in ${formatWait(next - now)}` : "; trying now";
      return { tone: "reconnecting", text: `Connection lost, reconnecting${attempt}${when}…`, canReconnect: true };
    }
    case "failed": {
      const reason = detail?.reason ? `: ${detail.reason}` : "";
      return { tone: "failed", text: `Could not connect${reason}`, canReconnect: true };
    }
    default:
      return { tone: view.state, text: connectionText(view.state), canReconnect: false };
  }
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

/** The status line (role=status) with a Reconnect button, and a dismissible error banner (role=alert). */
export class StatusArea {
  readonly el: HTMLElement;
  private readonly line: HTMLElement;
  private readonly lineText: HTMLElement;
  readonly reconnectButton: HTMLButtonElement;
  private readonly banner: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly listeners = new Listeners();
  private view: ConnectionView = { state: "", detail: null, kernel: "checking" };
  /** Ticks once a second while a countdown ("next try in 4 s") is shown. */
  private countdown: ReturnType<typeof setInterval> | null = null;
  private reconnecting = false;

  constructor(onReconnect: () => Promise<void> = () => Promise.resolve()) {
    this.reconnectButton = button("Reconnect", { className: "rtkw-button rtkw-reconnect" });
    this.reconnectButton.hidden = true;
    this.lineText = h("span", { className: "rtkw-status", attrs: { role: "status" } });
    this.line = h("div", { className: "rtkw-status-line" }, [this.lineText, this.reconnectButton]);
    this.bannerText = h("span", { className: "rtkw-banner-text" });
    const dismiss = button("Dismiss error", { className: "rtkw-icon-button", icon: "✕" });
    this.banner = h("div", { className: "rtkw-banner", attrs: { role: "alert", hidden: true } }, [this.bannerText, dismiss]);
    this.el = h("div", { className: "rtkw-status-area" }, [this.line, this.banner]);
    this.listeners.on(dismiss, "click", () => this.clearError());
    this.listeners.on(this.reconnectButton, "click", () => {
      this.reconnecting = true;
      this.render();
      void onReconnect().finally(() => {
        this.reconnecting = false;
        this.render();
      });
    });
  }

  /** Shows a bare connection state (the kernel taken as answering). */
  setConnection(state: string): void {
    this.show({ state, detail: null, kernel: state === NO_KERNEL ? "none" : "proven" });
  }

  show(view: ConnectionView): void {
    this.view = view;
    this.render();
  }

  /** The text of the status line (without the button). */
  get text(): string {
    return this.lineText.textContent ?? "";
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
    this.stopCountdown();
    this.listeners.removeAll();
  }

  private render(): void {
    const line = statusLine(this.view);
    this.lineText.textContent = line.text;
    this.lineText.dataset.state = line.tone;
    this.reconnectButton.hidden = !line.canReconnect;
    this.reconnectButton.disabled = this.reconnecting;
    this.reconnectButton.textContent = this.reconnecting ? "Reconnecting…" : "Reconnect";
    const ticking = this.view.state === "reconnecting" && this.view.detail?.nextAttemptAt != null && this.view.kernel !== "silent";
    if (ticking && this.countdown === null) this.countdown = setInterval(() => this.render(), 1000);
    else if (!ticking) this.stopCountdown();
  }

  private stopCountdown(): void {
    if (this.countdown !== null) clearInterval(this.countdown);
    this.countdown = null;
  }
}
