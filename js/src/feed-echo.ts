/**
 * Echoes the feed position the panel has applied into the `seen_feed_seq` trait. Some hosts
 * react only to trait changes the front end saves: in marimo, a cell that reads
 * `mo.ui.anywidget(widget).value` re-runs on such a change and not on one made in Python, so
 * without this echo a cell reading `widget.messages` would never see a new message.
 */
import type { Store } from "./store";

/** The slice of anywidget's model this needs. */
export interface WritableModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
}

export const ECHO_TRAIT = "seen_feed_seq";
/** Changes within this many milliseconds are echoed once. */
export const ECHO_COALESCE_MS = 50;

/** Starts echoing; returns the function that stops it. A kernel without the trait gets nothing. */
export function echoFeedPosition(model: WritableModel, store: Store): () => void {
  if (typeof model.get(ECHO_TRAIT) !== "number") return () => undefined;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    const { loaded, feedSeq } = store.getState();
    if (!loaded || model.get(ECHO_TRAIT) === feedSeq) return;
    model.set(ECHO_TRAIT, feedSeq);
    model.save_changes();
  };
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.feedSeq !== previous.feedSeq || state.loaded !== previous.loaded) timer ??= setTimeout(flush, ECHO_COALESCE_MS);
  });
  return () => {
    unsubscribe();
    if (timer !== null) clearTimeout(timer);
  };
}
