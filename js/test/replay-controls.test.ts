// @vitest-environment jsdom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MediaCache } from "../src/media";
import { ChatSession } from "../src/session";
import { mountPanel } from "../src/view/panel";
import { ReplayControls, asReplayModel, formatSessionTime, readReplay } from "../src/view/replay-controls";
import { FakeKernel } from "./fake-kernel";
import { installFakeLayout } from "./fake-layout";
import { mountedPanels } from "./mounted";

beforeAll(() => installFakeLayout());

const mounted = mountedPanels();
const START = 1_700_000_000_000;

function replayKernel(count: number, position = count): FakeKernel {
  const kernel = new FakeKernel(count);
  kernel.traits.set("connection_state", "replay");
  kernel.traits.set("replay", { count, start_ms: START, end_ms: START + 754_000, at_ms: START + 62_000 });
  kernel.traits.set("replay_position", position);
  kernel.traits.set("replay_playing", false);
  kernel.traits.set("replay_speed", 1);
  return kernel;
}

describe("reading the replay trait", () => {
  it("takes the kernel's snake_case state and clamps what a crafted notebook could hold", () => {
    expect(readReplay({ count: 3, start_ms: 10, end_ms: 40, at_ms: 20 })).toEqual({ count: 3, startMs: 10, endMs: 40, atMs: 20 });
    expect(readReplay({ count: -2, start_ms: 50, end_ms: 10, at_ms: 99 })).toEqual({ count: 0, startMs: 50, endMs: 50, atMs: 50 });
    expect(readReplay(null)).toBeNull();
    expect(readReplay([1, 2])).toBeNull();
  });

  it("is a replay only when the model has the trait", () => {
    expect(asReplayModel(replayKernel(2))).not.toBeNull();
    expect(asReplayModel(new FakeKernel(2))).toBeNull();
  });

  it("writes session time as m:ss, and h:mm:ss from an hour on", () => {
    expect(formatSessionTime(0)).toBe("0:00");
    expect(formatSessionTime(62_500)).toBe("1:02");
    expect(formatSessionTime(3_725_000)).toBe("1:02:05");
    expect(formatSessionTime(-5)).toBe("0:00");
  });
});

describe("the replay controls", () => {
  it("show the session time and position, and write play, position and speed to the model", () => {
    const kernel = replayKernel(4, 2);
    const saved = vi.spyOn(kernel, "save_changes");
    const controls = new ReplayControls(kernel);
    document.body.appendChild(controls.el);
    expect(controls.time.textContent).toBe("1:02 / 12:34");
    expect(controls.scrubber.max).toBe("4");
    expect(controls.scrubber.value).toBe("2");
    expect(controls.scrubber.getAttribute("aria-valuetext")).toBe("1:02 of 12:34, 2 of 4 messages");
    expect(controls.playButton.textContent).toBe("Play");

    controls.playButton.click();
    expect(kernel.get("replay_playing")).toBe(true);
    expect(controls.playButton.textContent).toBe("Pause");

    controls.scrubber.value = "3";
    controls.scrubber.dispatchEvent(new Event("input", { bubbles: true }));
    expect(kernel.get("replay_position")).toBe(3);

    controls.speed.value = "8";
    controls.speed.dispatchEvent(new Event("change", { bubbles: true }));
    expect(kernel.get("replay_speed")).toBe(8);
    expect(saved).toHaveBeenCalledTimes(3);

    // What the kernel sets (its clock moving on, a speed from Python) shows at once.
    kernel.set("replay", { count: 4, start_ms: START, end_ms: START + 754_000, at_ms: START + 754_000 });
    kernel.set("replay_position", 4);
    kernel.set("replay_playing", false);
    kernel.set("replay_speed", 3);
    expect(controls.scrubber.value).toBe("4");
    expect(controls.time.textContent).toBe("12:34 / 12:34");
    expect(controls.playButton.textContent).toBe("Replay");
    expect(controls.speed.value).toBe("3");
    expect([...controls.speed.options].map((o) => o.textContent)).toEqual(["0.5×", "1×", "2×", "3×", "4×", "8×", "16×"]);
    controls.destroy();
    kernel.set("replay_position", 1);
    expect(controls.scrubber.value).toBe("4");
  });

  it("are reachable and named for the keyboard and screen readers", () => {
    const controls = new ReplayControls(replayKernel(3));
    document.body.appendChild(controls.el);
    expect(controls.el.getAttribute("role")).toBe("group");
    for (const el of [controls.playButton, controls.scrubber, controls.speed]) {
      expect(el.tabIndex).toBe(0);
      expect(el.getAttribute("aria-label") ?? el.textContent).toBeTruthy();
    }
    expect(controls.scrubber.type).toBe("range");
    controls.destroy();
  });

  it("are disabled for a session without messages", () => {
    const kernel = replayKernel(0);
    kernel.traits.set("replay", { count: 0, start_ms: 0, end_ms: 0, at_ms: 0 });
    const controls = new ReplayControls(kernel);
    expect(controls.scrubber.disabled).toBe(true);
    expect(controls.time.textContent).toBe("0:00 / 0:00");
    controls.destroy();
  });
});

describe("a replay in the panel", () => {
  function mount(kernel: FakeKernel) {
    const invoker = new Invoker(kernel);
    const session = new ChatSession(invoker, { pageSize: 20 });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const panel = mountPanel(el, { model: kernel, session, media: new MediaCache(invoker), measure: () => 40 });
    mounted.push(panel);
    return panel;
  }

  it("has the replay controls instead of the composer, and says it is read-only", async () => {
    const panel = mount(replayKernel(5));
    await vi.waitFor(() => expect(panel.root.querySelectorAll("article[data-key]").length).toBe(5));
    expect(panel.root.querySelector(".rtkw-composer")).toBeNull();
    expect(panel.root.querySelector("textarea")).toBeNull();
    expect(panel.replay?.el.isConnected).toBe(true);
    expect(panel.root.getAttribute("aria-label")).toBe("Past meeting chat (replay)");
    expect(panel.status.el.textContent).toContain("Past session, read-only");
    // Nobody is signed in to a replay: no row offers to edit, delete or pin.
    const writes = ["edit", "ask-delete", "pin", "unpin"].map((a) => `[data-action='${a}']`).join(", ");
    expect(panel.root.querySelector(writes)).toBeNull();
  });

  it("keeps the composer for a live chat", () => {
    const kernel = new FakeKernel(1);
    kernel.traits.set("connection_state", "connected");
    const panel = mount(kernel);
    expect(panel.replay).toBeNull();
    expect(panel.root.querySelector(".rtkw-composer")).not.toBeNull();
    expect(panel.root.querySelector(".rtkw-replay")).toBeNull();
  });
});
