/**
 * The comm protocol with `rtk_widget/widget/_protocol.py`: the declarations come from
 * `protocol.generated.ts` (generated from the Python source); this module adds the checks the
 * browser runs on what arrives, since a message from the kernel is parsed, not trusted.
 */
import { ERROR_CODES, KINDS, RESPONSE_SUFFIX, type ErrorPayload as KernelError, type Push, type RequestMap } from "./protocol.generated";

export { ERROR_CODES, KINDS, RESPONSE_SUFFIX };
export type {
  ChatTraits,
  ConnectionDetail,
  Delta,
  MessageType,
  Push,
  RequestMap,
  WireMessage,
} from "./protocol.generated";
import type { Delta, WireMessage } from "./protocol.generated";

/** Error codes sent by Python, plus `aborted` which only the browser produces. */
export type ErrorCode = (typeof ERROR_CODES)[number] | "aborted";

export interface ErrorPayload extends Omit<KernelError, "code"> {
  code: ErrorCode;
}

/** A sort key that ascends with the feed (the server's sequence number). */
export type Order = WireMessage["order"];

export type RequestKind = keyof RequestMap;
export type RequestMsg<K extends RequestKind> = RequestMap[K]["msg"];
export type ResponseOf<K extends RequestKind> = RequestMap[K]["response"];

export interface RequestEnvelope<K extends RequestKind = RequestKind> {
  kind: K;
  id: string;
  msg: RequestMsg<K>;
}

export interface CancelEnvelope {
  kind: typeof KINDS.cancel;
  msg: { targetId: string };
}

export type ResponseEnvelope =
  | { kind: `${RequestKind}-response`; id: string; response: unknown }
  | { kind: `${RequestKind}-response`; id: string; error: ErrorPayload };

export function responseKind(kind: RequestKind): `${RequestKind}-response` {
  return `${kind}${RESPONSE_SUFFIX}` as `${RequestKind}-response`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isResponseEnvelope(value: unknown): value is ResponseEnvelope {
  return (
    isRecord(value) &&
    typeof value.kind === "string" &&
    value.kind.endsWith(RESPONSE_SUFFIX) &&
    typeof value.id === "string" &&
    ("response" in value || "error" in value)
  );
}

function isOrder(value: unknown): value is number {
  return typeof value === "number";
}

/** Validates a message from Python; anything malformed is dropped rather than rendered. */
export function isWireMessage(value: unknown): value is WireMessage {
  if (!isRecord(value)) return false;
  return (
    typeof value.id === "string" &&
    typeof value.type === "string" &&
    typeof value.userId === "string" &&
    typeof value.displayName === "string" &&
    typeof value.time === "number" &&
    isOrder(value.order) &&
    Array.isArray(value.targetUserIds) &&
    value.targetUserIds.every((t) => typeof t === "string") &&
    (value.localId === undefined || typeof value.localId === "string")
  );
}

export function isDelta(value: unknown): value is Delta {
  if (!isRecord(value)) return false;
  if (value.op === "upsert") return isWireMessage(value.message);
  return value.op === "remove" && typeof value.id === "string";
}

/** Parses a push from Python, or returns null for anything else (foreign kinds are ignored). */
export function parsePush(value: unknown): Push | null {
  if (!isRecord(value)) return null;
  switch (value.kind) {
    case KINDS.deltas:
      if (typeof value.first !== "number" || !Array.isArray(value.items)) return null;
      if (!value.items.every(isDelta)) return null;
      return { kind: KINDS.deltas, first: value.first, items: value.items };
    case KINDS.scrollTo:
      if (typeof value.messageId !== "string") return null;
      return isOrder(value.order)
        ? { kind: KINDS.scrollTo, messageId: value.messageId, order: value.order }
        : { kind: KINDS.scrollTo, messageId: value.messageId };
    default:
      return null;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return value === "aborted" || (ERROR_CODES as readonly unknown[]).includes(value);
}

/** Normalises an error object from Python; unknown codes become `internal`. */
export function parseError(value: unknown): ErrorPayload {
  if (!isRecord(value)) return { code: "internal", message: "Malformed error" };
  const code = isErrorCode(value.code) ? value.code : "internal";
  const message = typeof value.message === "string" ? value.message : String(value.code ?? "error");
  const retry = value.retryAfterMs;
  return typeof retry === "number" && retry >= 0 ? { code, message, retryAfterMs: retry } : { code, message };
}

/** Orders compare numerically; strings (not sent by Python) compare lexically. */
export function compareOrder(a: Order | string, b: Order | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
