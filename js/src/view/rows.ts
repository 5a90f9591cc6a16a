import type { WireMessage } from "../protocol";
import type { PendingSend } from "../store";
import { GROUP_WINDOW_MS } from "../format/time";

/** One entry of the rendered list. */
export type Row =
  | { kind: "message"; key: string; message: WireMessage; groupStart: boolean; own: boolean }
  | { kind: "pending"; key: string; pending: PendingSend };

function audienceKey(message: WireMessage): string {
  return [...message.targetUserIds].sort().join(",");
}

/** Whether `message` continues the group started by `previous` (same sender, audience, minutes). */
export function continuesGroup(previous: WireMessage | undefined, message: WireMessage): boolean {
  return (
    previous !== undefined &&
    previous.userId === message.userId &&
    audienceKey(previous) === audienceKey(message) &&
    message.time - previous.time >= 0 &&
    message.time - previous.time < GROUP_WINDOW_MS
  );
}

/** Turns the loaded window and pending sends into rows, reusing rows that did not change. */
export function buildRows(
  messages: readonly WireMessage[],
  pending: readonly PendingSend[],
  selfId: string | null,
  previous: ReadonlyMap<string, Row> = new Map(),
): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const groupStart = !continuesGroup(messages[i - 1], message);
    const own = selfId !== null && message.userId === selfId;
    const old = previous.get(message.id);
    if (old && old.kind === "message" && old.message === message && old.groupStart === groupStart && old.own === own) {
      rows.push(old);
    } else {
      rows.push({ kind: "message", key: message.id, message, groupStart, own });
    }
  }
  for (const p of pending) {
    const old = previous.get(p.localId);
    rows.push(old && old.kind === "pending" && old.pending === p ? old : { kind: "pending", key: p.localId, pending: p });
  }
  return rows;
}

/** A height guess before a row is measured. */
export function estimateRowHeight(row: Row): number {
  if (row.kind === "pending") return 44;
  const header = row.groupStart ? 24 : 0;
  switch (row.message.type) {
    case "image":
      return header + 200;
    case "file":
      return header + 64;
    default:
      return header + 20 + 20 * Math.min(20, Math.floor((row.message.text?.length ?? 0) / 60));
  }
}
