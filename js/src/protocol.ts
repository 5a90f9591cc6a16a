/**
 * The comm protocol with `rtk_widget/widget/_protocol.py`: the declarations come from
 * `protocol.generated.ts` (generated from the Python source, with a guard per pushed shape); this
 * module adds the envelope checks the browser runs on what arrives: nothing from the kernel is
 * trusted unparsed.
 */
import {
  ERROR_CODES,
  KINDS,
  RESPONSE_SUFFIX,
  isDeltasPush,
  isRecord,
  isScrollToPush,
  type ErrorPayload as KernelError,
  type Push,
  type RequestMap,
} from "./protocol.generated";

export { ERROR_CODES, KINDS, RESPONSE_GUARDS, RESPONSE_SUFFIX } from "./protocol.generated";
export { isDelta, isWireMessage } from "./protocol.generated";
export type {
  ChatTraits,
  ConnectionDetail,
  Delta,
  Push,
  RequestMap,
  WireMessage,
  WireMessageType,
} from "./protocol.generated";
import type { WireMessage } from "./protocol.generated";

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

export function isResponseEnvelope(value: unknown): value is ResponseEnvelope {
  return (
    isRecord(value) &&
    typeof value.kind === "string" &&
    value.kind.endsWith(RESPONSE_SUFFIX) &&
    typeof value.id === "string" &&
    ("response" in value || "error" in value)
  );
}

/** Parses a push from Python, or returns null for anything else (foreign or malformed kinds are ignored). */
export function parsePush(value: unknown): Push | null {
  if (isDeltasPush(value)) return { kind: KINDS.deltas, first: value.first, items: value.items };
  if (!isScrollToPush(value)) return null;
  const { messageId, order } = value;
  return order === undefined ? { kind: KINDS.scrollTo, messageId } : { kind: KINDS.scrollTo, messageId, order };
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
