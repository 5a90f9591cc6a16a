/**
 * The comm protocol between the browser and `rtk_widget/widget/_protocol.py`.
 *
 * A Python contract test parses the string literals of `KINDS` from this file and compares
 * them with the Python side, so every kind lives here once, as a literal.
 */

export const KINDS = {
  page: "page",
  catchUp: "catch-up",
  uploadChunk: "upload-chunk",
  send: "send",
  edit: "edit",
  delete: "delete",
  pin: "pin",
  unpin: "unpin",
  media: "media",
  cancel: "cancel",
  pinned: "pinned",
  ping: "ping",
  reconnect: "reconnect",
  deltas: "deltas",
  reset: "reset",
  scrollTo: "scroll-to",
} as const;

export const ERROR_CODES = [
  "rate_limited",
  "text_too_long",
  "empty",
  "forbidden",
  "not_found",
  "upload_refused",
  "disconnected",
  "timeout",
  "invalid",
  "internal",
] as const;

/** Error codes sent by Python, plus `aborted` which only the browser produces. */
export type ErrorCode = (typeof ERROR_CODES)[number] | "aborted";

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** A sort key that ascends with the feed; Python sends numbers (seq), strings compare too. */
export type Order = number | string;

export type MessageType = "text" | "image" | "file" | "custom";

export interface WireMessage {
  id: string;
  type: MessageType;
  userId: string;
  displayName: string;
  /** Milliseconds since the epoch. */
  time: number;
  order: Order;
  edited: boolean;
  pinned: boolean;
  /** Empty means public. */
  targetUserIds: string[];
  text?: string;
  link?: string;
  name?: string;
  size?: number;
  /** Set when the message answers a `send` from this widget: that send's `localId`. */
  localId?: string;
}

export type Delta = { op: "upsert"; message: WireMessage } | { op: "remove"; id: string };

/** What each request kind carries (`msg`) and what its response holds. */
export interface RequestMap {
  /** Backwards from `before` (null: the newest) or, when `after` is present, forwards from it (null: the oldest). */
  [KINDS.page]: {
    msg: { before: Order | null; limit: number } | { after: Order | null; limit: number };
    /** `hasMore`: more messages exist in the direction read. */
    response: { messages: WireMessage[]; hasMore: boolean; feedSeq: number };
  };
  /** Every pinned message the user can see, oldest first. */
  [KINDS.pinned]: {
    msg: Record<string, never>;
    response: { messages: WireMessage[]; feedSeq: number };
  };
  [KINDS.catchUp]: {
    msg: { after: number };
    response: { deltas: Delta[]; feedSeq: number } | { reset: true };
  };
  [KINDS.uploadChunk]: {
    msg: { uploadId: string; index: number; last: boolean; name: string; mime: string; size: number };
    response: { received: number };
  };
  [KINDS.send]: {
    /** `localId` comes back on the message's delta, so its pending row can go as the message arrives. */
    msg: { text?: string; uploadId?: string; as?: "image" | "file"; to?: string[]; localId?: string };
    response: { message: WireMessage };
  };
  [KINDS.edit]: { msg: { messageId: string; text: string }; response: { message: WireMessage } };
  [KINDS.delete]: { msg: { messageId: string }; response: Record<string, never> };
  [KINDS.pin]: { msg: { messageId: string }; response: { message: WireMessage } };
  [KINDS.unpin]: { msg: { messageId: string }; response: { message: WireMessage } };
  [KINDS.media]: { msg: { link: string }; response: { mime: string; name: string } };
  /** Answered at once by a live kernel: proves the Python side is there. */
  [KINDS.ping]: { msg: Record<string, never>; response: Record<string, never> };
  /** Reconnect the meeting now; answered when the attempt finished. */
  [KINDS.reconnect]: { msg: Record<string, never>; response: Record<string, never> };
}

/** The `connection_detail` trait. */
export interface ConnectionDetail {
  state: string;
  attempt: number;
  /** Milliseconds since the epoch, while reconnecting. */
  nextAttemptAt: number | null;
  reason: string | null;
}

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

export type Push =
  | { kind: typeof KINDS.deltas; first: number; items: Delta[] }
  | { kind: typeof KINDS.reset }
  /** `order` (when sent) tells a message not loaded yet from one whose delta is still on its way. */
  | { kind: typeof KINDS.scrollTo; messageId: string; order?: Order };

export const RESPONSE_SUFFIX = "-response";

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

function isOrder(value: unknown): value is Order {
  return typeof value === "number" || typeof value === "string";
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
    case KINDS.reset:
      return { kind: KINDS.reset };
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

export function compareOrder(a: Order, b: Order): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
