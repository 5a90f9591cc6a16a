/**
 * The browser harness's kernel: the unit tests' fake kernel (`js/test/fake-kernel.ts`) holding
 * 100,000 messages, bundled by `npm run build` into `js/dev/harness.bundle.js` for
 * `harness.html`. Browser tests read `window.requests`, push with `window.pushDeltas(items)`
 * and wait for `window.ready`.
 */
import type { Delta, WireMessage } from "../src/protocol";
import { FakeKernel, makeMessage } from "../test/fake-kernel";

const HISTORY = 100_000;

interface Widget {
  initialize(props: { model: FakeKernel }): unknown;
  render(props: { model: FakeKernel; el: HTMLElement }): unknown;
}

declare global {
  interface Window {
    requests: unknown[];
    pushDeltas: (items: Delta[]) => void;
    ready: boolean;
    kernel: FakeKernel;
  }
}

/** Varied rows: long lines, links, edits and private notes at fixed intervals. */
function historyMessage(n: number): WireMessage {
  return makeMessage(n, {
    userId: n % 3 ? "bob" : "ada",
    displayName: n % 3 ? "Bob" : "Ada Lovelace",
    edited: n % 13 === 0,
    targetUserIds: n % 17 ? [] : ["ada"],
    text: n % 7 ? `message ${n} https://example.com/${n}` : "a long line ".repeat(30),
  });
}

export async function start(widget: Widget, host: HTMLElement): Promise<void> {
  const kernel = new FakeKernel();
  kernel.load(Array.from({ length: HISTORY }, (_, i) => historyMessage(i + 1)));
  kernel.delayMs = 5;
  const traits: Record<string, unknown> = {
    self_info: { user_id: "ada", display_name: "Ada Lovelace", permissions: { can_pin: true, can_send: true, can_send_files: true, can_send_private: true } },
    participants: [{ user_id: "bob", display_name: "Bob" }],
    connection_state: "connected",
    connection_detail: { state: "connected", attempt: 0, next_attempt_at: null, reason: null },
    limits: { max_text_length: 2000, max_upload_bytes: 10 * 1024 * 1024 },
    title: "Harness",
    media_mode: "auto",
    // The harness page serves the seeded attachments, as a meeting's file host would.
    trusted_media_origins: [location.origin],
    last_error: null,
    height: "480px",
  };
  for (const [name, value] of Object.entries(traits)) kernel.traits.set(name, value);
  Object.defineProperty(window, "requests", { get: () => kernel.sent.map((s) => s.content) });
  window.kernel = kernel;
  window.pushDeltas = (items) => {
    const first = kernel.feedSeq + 1;
    for (const item of items) kernel.change(item);
    kernel.push({ kind: "deltas", first, items });
  };
  await widget.initialize({ model: kernel });
  await widget.render({ model: kernel, el: host });
  window.ready = true;
}
