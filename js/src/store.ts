import { compareOrder, type Delta, type ErrorPayload, type WireMessage } from "./protocol";

/** An optimistic send shown at the bottom until Python answers. */
export interface PendingSend {
  localId: string;
  kind: "text" | "image" | "file";
  text?: string;
  fileName?: string;
  to: string[];
  time: number;
  status: "sending" | "failed";
  /** Upload progress in [0, 1] for attachments. */
  progress?: number;
  error?: ErrorPayload;
}

/** The model-level chat state: one loaded window of the feed plus what survives eviction. */
export interface ChatState {
  readonly byId: ReadonlyMap<string, WireMessage>;
  /** The loaded window, ascending by `order`. */
  readonly ids: readonly string[];
  /** More history exists before the window. */
  readonly hasOlder: boolean;
  /** The window reaches the newest message, so new messages are appended to it. */
  readonly atLatest: boolean;
  readonly loaded: boolean;
  /** The last feed sequence number applied. */
  readonly feedSeq: number;
  /** Every pinned message (the kernel's complete list, kept current by deltas), kept when its page is evicted. */
  readonly pinned: ReadonlyMap<string, WireMessage>;
  /** Recently removed ids, so a page answered before the removal cannot bring them back. */
  readonly removed: ReadonlySet<string>;
  readonly pending: readonly PendingSend[];
}

export type StoreEvent =
  | { type: "reset" }
  | {
      type: "page";
      messages: readonly WireMessage[];
      hasMore: boolean;
      feedSeq: number;
      /** `replace` starts a new window (first load, reload, jump); `merge` extends the current one. */
      mode: "replace" | "merge";
      reachesLatest: boolean;
      /** Set for a forward page (`after`): its `hasMore` speaks of newer messages, not older. */
      forward?: { fromOldest: boolean };
    }
  | { type: "deltas"; first: number; items: readonly Delta[] }
  | { type: "caught-up"; deltas: readonly Delta[]; feedSeq: number }
  | { type: "message"; message: WireMessage }
  /** The kernel's complete pinned list as of `feedSeq`. */
  | { type: "pinned"; messages: readonly WireMessage[]; feedSeq: number }
  | { type: "evict"; max: number; keep: "older" | "newer" }
  | { type: "pending-add"; pending: PendingSend }
  | { type: "pending-update"; localId: string; patch: Partial<PendingSend> }
  | { type: "pending-remove"; localId: string }
  /** The kernel acked a send: its pending row becomes `message` (a no-op once a delta already did that). */
  | { type: "sent"; localId: string; message: WireMessage };

export const TOMBSTONE_LIMIT = 2000;

export function initialState(): ChatState {
  return {
    byId: new Map(),
    ids: [],
    hasOlder: false,
    atLatest: true,
    loaded: false,
    feedSeq: 0,
    pinned: new Map(),
    removed: new Set(),
    pending: [],
  };
}

/** How a push relates to what the store has applied. */
export type DeltaStatus = "applied" | "stale" | "gap" | "not-loaded";

export function classifyDeltas(state: ChatState, first: number, count: number): DeltaStatus {
  if (!state.loaded) return "not-loaded";
  if (first > state.feedSeq + 1) return "gap";
  if (first + count - 1 <= state.feedSeq) return "stale";
  return "applied";
}

function sortIds(byId: ReadonlyMap<string, WireMessage>, ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => {
    const ma = byId.get(a)!;
    const mb = byId.get(b)!;
    return compareOrder(ma.order, mb.order) || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** Mutable working copy, so one event copies the maps once. */
class Draft {
  byId: Map<string, WireMessage>;
  ids: string[];
  pinned: Map<string, WireMessage>;
  removed: Set<string>;
  pending: readonly PendingSend[];
  needsSort = false;

  constructor(readonly base: ChatState) {
    this.byId = new Map(base.byId);
    this.ids = [...base.ids];
    this.pinned = new Map(base.pinned);
    this.removed = new Set(base.removed);
    this.pending = base.pending;
  }

  /**
   * A message that answers one of our sends replaces its pending row in the same step, whichever
   * of its delta and the send's response comes first, so the send is never shown twice.
   */
  resolvePending(message: WireMessage): void {
    const { localId } = message;
    if (localId !== undefined && this.pending.some((p) => p.localId === localId)) {
      this.pending = this.pending.filter((p) => p.localId !== localId);
    }
  }

  notePinned(message: WireMessage): void {
    if (message.pinned) this.pinned.set(message.id, message);
    else this.pinned.delete(message.id);
  }

  /** Whether a message belongs in the window's range (not in unloaded history on either side). */
  inRange(message: WireMessage, hasOlder: boolean, atLatest: boolean): boolean {
    if (this.ids.length === 0) return atLatest;
    const oldest = this.byId.get(this.ids[0]!)!;
    const newest = this.byId.get(this.ids[this.ids.length - 1]!)!;
    if (hasOlder && compareOrder(message.order, oldest.order) < 0) return false;
    if (!atLatest && compareOrder(message.order, newest.order) > 0) return false;
    return true;
  }

  upsert(message: WireMessage, hasOlder: boolean, atLatest: boolean): void {
    this.resolvePending(message);
    this.removed.delete(message.id);
    this.notePinned(message);
    const existing = this.byId.get(message.id);
    if (existing) {
      if (compareOrder(existing.order, message.order) !== 0) this.needsSort = true;
      this.byId.set(message.id, message);
    } else if (this.inRange(message, hasOlder, atLatest)) {
      this.byId.set(message.id, message);
      this.ids.push(message.id);
      this.needsSort = true;
    }
  }

  remove(id: string): void {
    this.pinned.delete(id);
    this.removed.add(id);
    if (this.removed.size > TOMBSTONE_LIMIT) {
      const oldest = this.removed.values().next().value;
      if (oldest !== undefined) this.removed.delete(oldest);
    }
    if (this.byId.delete(id)) this.ids = this.ids.filter((x) => x !== id);
  }

  applyDeltas(items: readonly Delta[], hasOlder: boolean, atLatest: boolean): void {
    for (const delta of items) {
      if (delta.op === "upsert") this.upsert(delta.message, hasOlder, atLatest);
      else this.remove(delta.id);
    }
  }

  finish(patch: Partial<ChatState>): ChatState {
    const ids = this.needsSort ? sortIds(this.byId, this.ids) : this.ids;
    return { ...this.base, byId: this.byId, ids, pinned: this.pinned, removed: this.removed, pending: this.pending, ...patch };
  }
}

function applyPage(state: ChatState, event: Extract<StoreEvent, { type: "page" }>): ChatState {
  const base = event.mode === "replace" ? { ...state, byId: new Map(), ids: [] } : state;
  const draft = new Draft(base);
  // A page answered before deltas we already applied may hold older versions of messages.
  const stale = state.loaded && event.feedSeq < state.feedSeq;
  const previousOldest = draft.ids.length ? draft.byId.get(draft.ids[0]!)!.order : null;
  for (const message of event.messages) {
    draft.resolvePending(message);
    if (stale && state.removed.has(message.id)) continue;
    // A stale page must not overwrite what newer deltas already said about a message.
    if (!stale || !draft.pinned.has(message.id)) draft.notePinned(message);
    if (draft.byId.has(message.id)) {
      if (!stale) draft.byId.set(message.id, message);
      continue;
    }
    draft.byId.set(message.id, message);
    draft.ids.push(message.id);
    draft.needsSort = true;
  }
  const pageOldest = event.messages.length ? event.messages[0]!.order : null;
  let hasOlder = state.hasOlder;
  if (event.forward) {
    if (event.mode === "replace" || previousOldest === null) hasOlder = !event.forward.fromOldest;
  } else if (event.mode === "replace") hasOlder = event.hasMore;
  else if (previousOldest === null || (pageOldest !== null && compareOrder(pageOldest, previousOldest) < 0)) {
    hasOlder = event.hasMore;
  }
  return draft.finish({
    hasOlder,
    atLatest: event.mode === "replace" ? event.reachesLatest : state.atLatest || event.reachesLatest,
    loaded: true,
    // A new window is a snapshot at the page's feedSeq. A merged page leaves feedSeq alone: the
    // kernel may answer before pushing the deltas it already counts, and those must still apply.
    feedSeq: event.mode === "replace" || !state.loaded ? event.feedSeq : state.feedSeq,
  });
}

function applyPinned(state: ChatState, messages: readonly WireMessage[], feedSeq: number): ChatState {
  // Replies and pushes share one ordered comm, so a list older than applied deltas cannot come
  // from a live kernel; if one did, the deltas would know better.
  if (state.loaded && feedSeq < state.feedSeq) return state;
  const pinned = new Map(messages.filter((m) => m.pinned && !state.removed.has(m.id)).map((m) => [m.id, m]));
  return { ...state, pinned };
}

function applySent(state: ChatState, localId: string, message: WireMessage): ChatState {
  if (!state.pending.some((p) => p.localId === localId)) return state;
  const draft = new Draft(state);
  draft.pending = state.pending.filter((p) => p.localId !== localId);
  // A delta for this message, if one came first, is at least as new as the ack: keep it.
  if (!state.byId.has(message.id) && !state.removed.has(message.id)) draft.upsert(message, state.hasOlder, state.atLatest);
  return draft.finish({});
}

function evict(state: ChatState, max: number, keep: "older" | "newer"): ChatState {
  if (state.ids.length <= max) return state;
  const ids = keep === "older" ? state.ids.slice(0, max) : state.ids.slice(state.ids.length - max);
  const kept = new Set(ids);
  const byId = new Map([...state.byId].filter(([id]) => kept.has(id)));
  return keep === "older" ? { ...state, ids, byId, atLatest: false } : { ...state, ids, byId, hasOlder: true };
}

/** The pure reducer: `(state, event) => state`. Never mutates `state`. */
export function reduce(state: ChatState, event: StoreEvent): ChatState {
  switch (event.type) {
    case "reset":
      return { ...initialState(), pending: state.pending };
    case "page":
      return applyPage(state, event);
    case "deltas": {
      if (classifyDeltas(state, event.first, event.items.length) !== "applied") return state;
      const draft = new Draft(state);
      draft.applyDeltas(event.items.slice(state.feedSeq + 1 - event.first), state.hasOlder, state.atLatest);
      return draft.finish({ feedSeq: event.first + event.items.length - 1 });
    }
    case "caught-up": {
      if (!state.loaded) return state;
      const draft = new Draft(state);
      draft.applyDeltas(event.deltas, state.hasOlder, state.atLatest);
      return draft.finish({ feedSeq: Math.max(state.feedSeq, event.feedSeq) });
    }
    case "message": {
      if (state.removed.has(event.message.id)) return state;
      const draft = new Draft(state);
      draft.upsert(event.message, state.hasOlder, state.atLatest);
      return draft.finish({});
    }
    case "pinned":
      return applyPinned(state, event.messages, event.feedSeq);
    case "evict":
      return evict(state, event.max, event.keep);
    case "pending-add":
      return { ...state, pending: [...state.pending, event.pending] };
    case "pending-update":
      return {
        ...state,
        pending: state.pending.map((p) => (p.localId === event.localId ? { ...p, ...event.patch } : p)),
      };
    case "pending-remove":
      if (!state.pending.some((p) => p.localId === event.localId)) return state;
      return { ...state, pending: state.pending.filter((p) => p.localId !== event.localId) };
    case "sent":
      return applySent(state, event.localId, event.message);
  }
}

/** The loaded window as messages, ascending. */
export function windowMessages(state: ChatState): WireMessage[] {
  return state.ids.map((id) => state.byId.get(id)!);
}

/** Pinned messages, newest first. */
export function pinnedMessages(state: ChatState): WireMessage[] {
  return [...state.pinned.values()].sort((a, b) => compareOrder(b.order, a.order));
}

/** A tiny observable wrapper around the reducer; lives at model level. */
export class Store {
  private state: ChatState = initialState();
  private readonly listeners = new Set<(state: ChatState, previous: ChatState) => void>();

  getState(): ChatState {
    return this.state;
  }

  dispatch(event: StoreEvent): ChatState {
    const previous = this.state;
    const next = reduce(previous, event);
    if (next !== previous) {
      this.state = next;
      for (const listener of [...this.listeners]) listener(next, previous);
    }
    return next;
  }

  subscribe(listener: (state: ChatState, previous: ChatState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
