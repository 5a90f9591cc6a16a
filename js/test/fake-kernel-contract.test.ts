/**
 * The fake kernel answers like the real request handlers: a conversation recorded from them
 * (`tests/widget/transcript.py`) is replayed against it, reply by reply and delta by delta.
 */
import { describe, expect, it } from "vitest";
import type { WireMessage } from "../src/protocol";
import { FakeKernel } from "./fake-kernel";
import transcript from "./fixtures/kernel-transcript.json";

interface Step {
  kind: string;
  msg: Record<string, unknown>;
  response?: unknown;
  error?: { code: string };
  deltas: ({ seq: number } & Record<string, unknown>)[];
}

function replies(kernel: FakeKernel): { content: Record<string, unknown>; at: number }[] {
  const seen: { content: Record<string, unknown>; at: number }[] = [];
  kernel.on("msg:custom", (content: Record<string, unknown>) => seen.push({ content, at: seen.length }));
  return seen;
}

describe("the fake kernel", () => {
  it("answers the recorded conversation exactly as the real handlers did", async () => {
    const kernel = new FakeKernel();
    kernel.load(transcript.history as WireMessage[]);
    kernel.selfId = transcript.self.userId;
    kernel.selfName = transcript.self.displayName;
    const seen = replies(kernel);
    for (const [index, step] of (transcript.steps as Step[]).entries()) {
      const from = seen.length;
      const id = `r${index}`;
      kernel.send({ kind: step.kind, id, msg: step.msg });
      await new Promise((resolve) => setTimeout(resolve, 0));
      const pushed = seen.slice(from).map((s) => s.content);
      const reply = pushed.find((c) => c.id === id);
      const context = `${step.kind} ${JSON.stringify(step.msg)}`;
      if (step.error) expect({ context, code: (reply?.error as { code: string }).code }).toEqual({ context, code: step.error.code });
      else expect({ context, response: reply?.response }).toEqual({ context, response: step.response });
      const deltas = pushed
        .filter((c) => c.kind === "deltas")
        .flatMap((c) => (c.items as object[]).map((item, i) => ({ seq: (c.first as number) + i, ...item })));
      expect({ context, deltas }).toEqual({ context, deltas: step.deltas });
    }
  });
});
