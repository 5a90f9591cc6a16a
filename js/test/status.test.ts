// @vitest-environment jsdom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MediaCache } from "../src/media";
import { ChatSession } from "../src/session";
import { type KernelState, Liveness } from "../src/view/liveness";
import { mountPanel } from "../src/view/panel";
import { statusLine } from "../src/view/status";
import { FakeKernel } from "./fake-kernel";
import { installFakeLayout } from "./fake-layout";
import { mountedPanels } from "./mounted";

beforeAll(() => installFakeLayout());

const mounted = mountedPanels();

describe("the status line", () => {
  const now = 1_700_000_000_000;

  it("says Connected only when the kernel answered recently", () => {
    expect(statusLine({ state: "connected", detail: null, kernel: "proven" }, now).text).toBe("Connected");
    expect(statusLine({ state: "connected", detail: null, kernel: "checking" }, now).text).toBe("Checking the connection…");
    const silent = statusLine({ state: "connected", detail: null, kernel: "silent" }, now);
    expect(silent.text).toContain("The kernel is not answering");
    expect(silent.text).toContain("run the widget's cell again");
    expect(statusLine({ state: "connected", detail: null, kernel: "none" }, now).text).toBe("Not connected — run the cell to reconnect");
  });

  it("counts down to the next reconnect attempt and offers to reconnect now", () => {
    const detail = { state: "reconnecting", attempt: 3, nextAttemptAt: now + 4_200, reason: null };
    const line = statusLine({ state: "reconnecting", detail, kernel: "proven" }, now);
    expect(line.text).toBe("Connection lost, reconnecting (attempt 3); next try in 5 s…");
    expect(line.canReconnect).toBe(true);
    expect(statusLine({ state: "reconnecting", detail, kernel: "proven" }, now + 4_000).text).toContain("trying now");
  });

  it("gives the reason a connection failed", () => {
    const detail = { state: "failed", attempt: 0, nextAttemptAt: null, reason: "the token was revoked" };
    const line = statusLine({ state: "failed", detail, kernel: "proven" }, now);
    expect(line.text).toBe("Could not connect: the token was revoked");
    expect(line.canReconnect).toBe(true);
    // A detail left over from another state says nothing about this one.
    expect(statusLine({ state: "failed", detail: { ...detail, state: "reconnecting" }, kernel: "proven" }, now).text).toBe("Could not connect");
  });
});

describe("liveness", () => {
  it("proves the kernel with answers, asks when quiet, and reports silence", async () => {
    vi.useFakeTimers();
    const model = new FakeKernel();
    let answer = true;
    const states: KernelState[] = [];
    const liveness = new Liveness(model, {
      ping: () => (answer ? Promise.resolve({}) : Promise.reject(new Error("timeout"))),
      onChange: (state) => states.push(state),
      intervalMs: 1_000,
    });
    liveness.setCommLive(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(liveness.state).toBe("proven");
    answer = false;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(liveness.state).toBe("silent");
    answer = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(liveness.state).toBe("proven");
    liveness.setCommLive(false);
    expect(liveness.state).toBe("none");
    expect(states).toEqual(["proven", "silent", "proven", "none"]);
    liveness.destroy();
  });

  it("knows at once when the comm cannot send (the kernel restarted or shut down)", async () => {
    const model = new FakeKernel();
    let gone = false;
    const liveness = new Liveness(model, {
      ping: () => (gone ? Promise.reject({ code: "disconnected" }) : Promise.resolve({})),
      onChange: () => undefined,
    });
    liveness.setCommLive(true);
    await vi.waitFor(() => expect(liveness.state).toBe("proven"));
    gone = true;
    liveness.checkIfQuiet(0);
    await vi.waitFor(() => expect(liveness.state).toBe("none"));
    liveness.destroy();
  });
});

describe("the panel's connection", () => {
  function mount(traits: Record<string, unknown>) {
    const kernel = new FakeKernel(3);
    kernel.traits.set("self_info", { user_id: "ada", display_name: "Ada", permissions: {} });
    for (const [k, v] of Object.entries(traits)) kernel.traits.set(k, v);
    const invoker = new Invoker(kernel);
    const el = document.body.appendChild(document.createElement("div"));
    const panel = mountPanel(el, { model: kernel, session: new ChatSession(invoker), media: new MediaCache(invoker), measure: () => 40 });
    mounted.push(panel);
    return { kernel, panel };
  }

  it("shows a failed connection's reason and sends reconnect from its button", async () => {
    const { kernel, panel } = mount({
      connection_state: "failed",
      connection_detail: { state: "failed", attempt: 0, next_attempt_at: null, reason: "the token was revoked" },
    });
    await vi.waitFor(() => expect(panel.status.text).toBe("Could not connect: the token was revoked"));
    expect(panel.status.reconnectButton.hidden).toBe(false);
    panel.status.reconnectButton.click();
    expect(panel.status.reconnectButton.disabled).toBe(true);
    expect(kernel.requests("reconnect")).toHaveLength(1);
    kernel.set("connection_state", "connected");
    expect(panel.status.text).toBe("Connected");
    expect(panel.status.reconnectButton.hidden).toBe(true);
  });

  it("reads a connection_detail from a crafted notebook without trusting its shape", async () => {
    const { panel } = mount({ connection_state: "failed", connection_detail: { state: "failed", attempt: "x", reason: 42 } });
    await vi.waitFor(() => expect(panel.status.text).toBe("Could not connect"));
    expect(panel.status.reconnectButton.hidden).toBe(false);
  });

  it("applies the height trait, ignoring what is not a length", () => {
    const { kernel, panel } = mount({ connection_state: "connected", height: 300 });
    expect(panel.root.style.height).toBe("300px");
    kernel.set("height", "60vh");
    expect(panel.root.style.height).toBe("60vh");
    kernel.set("height", "1px; background: red");
    expect(panel.root.style.height).toBe("");
  });
});
