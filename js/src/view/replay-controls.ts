/**
 * The controls of a past session's replay (`rtk_widget.ReplayWidget`), shown where the composer
 * would be: play/pause, a scrubber over the session's messages that shows the session time, and
 * the speed. The kernel owns the clock; these controls only write the replay traits
 * (`replay_position`, `replay_playing`, `replay_speed`) and show what the kernel sets.
 */
import { Listeners, button, h } from "../dom";
import { formatFullTime } from "../format/time";
import type { TraitSource } from "../traits";

/** The `replay` trait, read defensively (a saved notebook can hold anything). */
export interface ReplayView {
  count: number;
  startMs: number;
  endMs: number;
  atMs: number;
}

/** What the controls need from the model: the traits and a way to write them. */
export interface ReplayModel extends TraitSource {
  set(name: string, value: unknown): void;
  save_changes?(): void;
}

export const SPEEDS = [0.5, 1, 2, 4, 8, 16] as const;
const TRAITS = ["replay", "replay_position", "replay_playing", "replay_speed"] as const;

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

/** The `replay` trait's value, or null when the model is not a replay. */
export function readReplay(value: unknown): ReplayView | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const startMs = count(v.start_ms);
  const endMs = Math.max(startMs, count(v.end_ms));
  const atMs = Math.min(Math.max(count(v.at_ms), startMs), endMs);
  return { count: count(v.count), startMs, endMs, atMs };
}

/** The model as a replay model, or null for a live chat (no `replay` trait, or read-only). */
export function asReplayModel(model: TraitSource): ReplayModel | null {
  const writable = typeof (model as Partial<ReplayModel>).set === "function";
  return writable && readReplay(model.get("replay")) ? (model as ReplayModel) : null;
}

/** A session time: "m:ss", or "h:mm:ss" from an hour on. */
export function formatSessionTime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

function speedLabel(speed: number): string {
  return `${speed}×`;
}

export class ReplayControls {
  readonly el: HTMLElement;
  readonly playButton: HTMLButtonElement;
  readonly scrubber: HTMLInputElement;
  readonly time: HTMLElement;
  readonly speed: HTMLSelectElement;
  private readonly listeners = new Listeners();

  constructor(private readonly model: ReplayModel) {
    this.playButton = button("Play", { className: "rtkw-button rtkw-replay-play" });
    this.scrubber = h("input", {
      className: "rtkw-replay-scrubber",
      attrs: { type: "range", min: 0, step: 1, "aria-label": "Session time" },
    });
    this.time = h("span", { className: "rtkw-replay-time", attrs: { "aria-hidden": "true" } });
    this.speed = h("select", { className: "rtkw-replay-speed", attrs: { "aria-label": "Replay speed" } });
    // Arrow keys, Home and End on the controls stay the panel's (view/host-keys.ts).
    this.el = h("div", { className: "rtkw-replay", attrs: { role: "group", "aria-label": "Replay of a past session" } }, [
      this.playButton,
      this.scrubber,
      h("div", { className: "rtkw-replay-side" }, [this.time, this.speed]),
    ]);

    this.listeners.on(this.playButton, "click", () => this.write("replay_playing", !this.model.get("replay_playing")));
    // Every step of a drag or a key press moves the replay; the kernel answers with the messages.
    this.listeners.on(this.scrubber, "input", () => this.write("replay_position", Number(this.scrubber.value)));
    this.listeners.on(this.speed, "change", () => this.write("replay_speed", Number(this.speed.value)));
    for (const name of TRAITS) {
      const update = (): void => this.update();
      model.on(`change:${name}`, update);
      this.listeners.add(() => model.off(`change:${name}`, update));
    }
    this.update();
  }

  /** Shows the traits as they are now. */
  update(): void {
    const replay = readReplay(this.model.get("replay")) ?? { count: 0, startMs: 0, endMs: 0, atMs: 0 };
    const position = Math.min(count(this.model.get("replay_position")), replay.count);
    const playing = this.model.get("replay_playing") === true;

    // The label says what a press does (a toggle with a changing label would confuse aria-pressed).
    this.playButton.textContent = playing ? "Pause" : position >= replay.count && replay.count > 0 ? "Replay" : "Play";

    this.scrubber.max = String(replay.count);
    this.scrubber.value = String(position);
    this.scrubber.disabled = replay.count === 0;
    const at = formatSessionTime(replay.atMs - replay.startMs);
    const length = formatSessionTime(replay.endMs - replay.startMs);
    this.time.textContent = `${at} / ${length}`;
    const messages = `${position} of ${replay.count} message${replay.count === 1 ? "" : "s"}`;
    this.scrubber.setAttribute("aria-valuetext", `${at} of ${length}, ${messages}`);
    this.scrubber.title = position > 0 ? `${messages}, up to ${formatFullTime(replay.atMs)}` : messages;

    const speed = Number(this.model.get("replay_speed")) || 1;
    const options = SPEEDS.includes(speed as (typeof SPEEDS)[number]) ? [...SPEEDS] : [...SPEEDS, speed].sort((a, b) => a - b);
    if ([...this.speed.options].map((o) => o.value).join() !== options.join()) {
      this.speed.replaceChildren(...options.map((s) => h("option", { text: speedLabel(s), attrs: { value: String(s) } })));
    }
    this.speed.value = String(speed);
  }

  destroy(): void {
    this.listeners.removeAll();
    this.el.remove();
  }

  private write(name: (typeof TRAITS)[number], value: unknown): void {
    this.model.set(name, value);
    this.model.save_changes?.();
  }
}
