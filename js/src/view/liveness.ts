/**
 * Whether the Python side is really there. A panel restored from a saved notebook, or left
 * behind by a restarted or stopped kernel, still holds its last traits ("connected"); only a
 * recent answer proves anything. Every message from the kernel counts, and when it has been
 * quiet for a while the panel asks with a `ping`.
 */
import type { TraitSource } from "../traits";

/** `proven`: heard from recently; `checking`: not yet, asking; `silent`: asked, no answer; `none`: no comm at all. */
export type KernelState = "proven" | "checking" | "silent" | "none";

export interface LivenessOptions {
  /**
   * Asks the kernel; resolves when it answered (with anything), rejects on timeout, or rejects
   * with `{ code: "disconnected" }` when the comm cannot send at all (its kernel is gone).
   */
  ping(): Promise<unknown>;
  /** Called when `state` changes. */
  onChange(state: KernelState): void;
  /** Quiet this long, the panel asks again; an answer older than twice this no longer proves anything. */
  intervalMs?: number;
  now?(): number;
}

export const PING_INTERVAL_MS = 15_000;

export class Liveness {
  private lastHeard: number | null = null;
  private unanswered = false;
  private asking = false;
  private commLive = true;
  private current: KernelState = "checking";
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly onMessage = (): void => this.heard();

  constructor(
    private readonly model: TraitSource,
    private readonly options: LivenessOptions,
  ) {
    this.intervalMs = options.intervalMs ?? PING_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    model.on("msg:custom", this.onMessage);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  get state(): KernelState {
    return this.current;
  }

  /** The host's word on the comm (ipywidgets' `comm_live`): without one, nothing can answer. */
  setCommLive(live: boolean): void {
    this.commLive = live;
    if (live) this.check();
    this.update();
  }

  /** Asks now, unless a question is already out. */
  check(): void {
    if (this.asking || !this.commLive) return;
    this.asking = true;
    this.options
      .ping()
      .then(
        () => this.heard(),
        (error: unknown) => {
          this.unanswered = true;
          // A comm that cannot even send has no kernel behind it (restarted, shut down): no
          // need to wait for the last answer to grow old.
          if ((error as { code?: unknown } | null)?.code === "disconnected") this.commLive = false;
        },
      )
      .finally(() => {
        this.asking = false;
        this.update();
      });
  }

  /** The reader turned to the panel (pointer or focus): ask, unless the kernel spoke a moment ago. */
  checkIfQuiet(quietMs = 3_000): void {
    if (this.lastHeard === null || this.now() - this.lastHeard >= quietMs) this.check();
  }

  destroy(): void {
    clearInterval(this.timer);
    this.model.off("msg:custom", this.onMessage);
  }

  private heard(): void {
    this.lastHeard = this.now();
    this.unanswered = false;
    this.update();
  }

  private tick(): void {
    if (this.lastHeard === null || this.now() - this.lastHeard >= this.intervalMs) this.check();
    this.update();
  }

  private update(): void {
    const fresh = this.lastHeard !== null && this.now() - this.lastHeard < 2 * this.intervalMs;
    const next: KernelState = !this.commLive ? "none" : fresh ? "proven" : this.unanswered ? "silent" : "checking";
    if (next === this.current) return;
    this.current = next;
    this.options.onChange(next);
  }
}
