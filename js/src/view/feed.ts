import { Listeners, h } from "../dom";
import { Identities, type Person } from "../format/identity";
import { displayText } from "../format/text";
import { RELATIVE_TIME_REFRESH_MS, formatRelativeTime } from "../format/time";
import { type MediaCache, downloadAttachment } from "../media";
import type { WireMessage } from "../protocol";
import type { ChatSession } from "../session";
import { type ChatState, windowMessages } from "../store";
import type { MediaAccess } from "../media-access";
import { ACTIONS, type RowContext, renderRow } from "./message-row";
import { type Row, buildRows, estimateRowHeight } from "./rows";
import { UnreadBeacon } from "./unread";
import { VirtualList } from "./virtual-list";

/** Who is looking, read from the traits each time a row renders. */
export interface Viewer {
  selfId: string | null;
  canPin: boolean;
  mediaAccess: MediaAccess;
  maxTextLength: number;
  nameOf(userId: string): string | null;
  /** Everyone in the meeting now, yourself included. */
  people: readonly Person[];
}

export interface FeedDeps {
  session: ChatSession;
  media: MediaCache;
  viewer(): Viewer;
  openImage(src: string, message: WireMessage): void;
  showError(error: { code: string; message: string }): void;
  /** Overrides row measurement (tests use a fake layout). */
  measure?(el: HTMLElement): number;
}

/** The scrolling message list: virtualized rows, paging, follow-at-bottom and message actions. */
export class Feed {
  readonly el: HTMLElement;
  readonly scroller: HTMLElement;
  readonly content: HTMLElement;
  readonly list: VirtualList<Row>;
  readonly newButton: HTMLButtonElement;
  private readonly historyNote: HTMLElement;
  /** "Start of the chat", scrolled with the rows (the virtual list lays rows out below it). */
  readonly startMarker: HTMLElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly live: HTMLElement;
  private readonly listeners = new Listeners();
  private rows = new Map<string, Row>();
  private editingId: string | null = null;
  private confirmingDeleteId: string | null = null;
  private newCount = 0;
  private newestId: string | null = null;
  private state: ChatState | null = null;
  private offline = false;
  /** The message that holds the list's one tab stop (roving tabindex); null: the newest rendered. */
  private activeKey: string | null = null;
  private rowOrder: string[] = [];
  private identities = new Identities();
  private readonly clock: ReturnType<typeof setInterval>;
  /** The unread count for when the whole list is out of view (the notebook scrolled away). */
  private readonly beacon: UnreadBeacon;

  constructor(private readonly deps: FeedDeps) {
    this.content = h("div", { className: "rtkw-feed", attrs: { role: "feed", "aria-label": "Chat messages", "aria-busy": "true" } });
    // Not a tab stop itself: one message is (roving tabindex), so Tab enters the list once.
    this.scroller = h("div", { className: "rtkw-scroller", attrs: { "aria-label": "Message history" } }, [this.content]);
    this.historyNote = h("div", { className: "rtkw-history-note" });
    this.startMarker = h("div", { className: "rtkw-start-marker", attrs: { role: "note" } });
    this.newButton = h("button", { className: "rtkw-new-messages", attrs: { type: "button", hidden: true } });
    this.live = h("div", { className: "rtkw-sr", attrs: { "aria-live": "polite", "aria-atomic": "true" } });
    this.retryButton = h("button", { className: "rtkw-button", text: "Try again", attrs: { type: "button", hidden: true } });
    this.el = h("div", { className: "rtkw-feed-area" }, [this.historyNote, this.retryButton, this.scroller, this.newButton, this.live]);
    this.list = new VirtualList<Row>({
      scroller: this.scroller,
      content: this.content,
      lead: this.startMarker,
      ...(deps.measure ? { measureLead: (el: HTMLElement) => (el.textContent ? deps.measure!(el) : 0) } : {}),
      key: (row) => row.key,
      same: (a, b) => a === b,
      estimate: estimateRowHeight,
      render: (row, index, count) => renderRow(row, index, this.state?.hasOlder ? -1 : count, this.rowContext()),
      ...(deps.measure ? { measure: deps.measure } : {}),
      onScroll: ({ atTop, atBottom }) => {
        this.syncTabStop();
        this.onScroll(atTop, atBottom);
      },
    });
    this.clock = setInterval(() => this.refreshTimes(), RELATIVE_TIME_REFRESH_MS);
    this.beacon = new UnreadBeacon(
      this.scroller,
      (visible) => {
        if (visible && this.state?.atLatest && this.list.isAtBottom()) this.setNewCount(0);
      },
      () => void this.jumpToLatest(),
    );
    this.listeners.on(this.content, "focusin", (event) => {
      const found = this.rowFor(event.target);
      if (found && found.key !== this.activeKey) {
        this.activeKey = found.key;
        this.syncTabStop();
      }
    });
    this.listeners.on(this.content, "click", (event) => this.onClick(event));
    this.listeners.on(this.content, "keydown", (event) => this.onKeyDown(event));
    this.listeners.on(this.newButton, "click", () => void this.jumpToLatest());
    this.listeners.on(this.retryButton, "click", () => void this.load());
  }

  /** Loads the first page if needed; offers to try again if the kernel did not answer. */
  async load(): Promise<void> {
    this.retryButton.hidden = true;
    this.offline = false;
    if (this.state && !this.state.loaded) this.historyNote.textContent = "Loading messages…";
    await this.deps.session.ensureLoaded();
    if (!this.deps.session.state.loaded && !this.offline) {
      this.historyNote.textContent = "Messages could not be loaded.";
      this.retryButton.hidden = false;
    }
  }

  /** No kernel answers (a saved notebook reopened, a stopped kernel): say so calmly, offer to retry. */
  showNotConnected(): void {
    this.offline = true;
    this.historyNote.textContent = "Not connected — run the cell to reconnect.";
    this.retryButton.hidden = false;
  }

  /** Re-renders from the store's state (called on every store change). */
  sync(state: ChatState): void {
    const previous = this.state;
    this.state = state;
    const viewer = this.deps.viewer();
    const messages = windowMessages(state);
    this.noteIdentities(viewer.people, messages);
    const rows = buildRows(messages, state.pending, viewer.selfId, this.rows);
    this.rows = new Map(rows.map((row) => [row.key, row]));
    this.rowOrder = rows.map((row) => row.key);
    if (this.activeKey !== null && !this.rows.has(this.activeKey)) this.activeKey = null;
    const wasAtBottom = this.list.count === 0 || this.list.isAtBottom();
    // Before setItems, so the list measures the marker with the rows it lays out below it.
    this.startMarker.textContent = state.loaded && !state.hasOlder ? "Start of the chat" : "";
    this.list.setItems(rows, state.atLatest);
    this.content.setAttribute("aria-busy", String(!state.loaded));
    if (state.loaded || !previous) this.historyNote.textContent = state.loaded ? "" : "Loading messages…";
    this.noteNewMessages(previous, messages, viewer.selfId, wasAtBottom);
  }

  /** Collects the names in view; when the set of lookalikes changes, every row renders again. */
  private noteIdentities(people: readonly Person[], messages: readonly WireMessage[]): void {
    const identities = new Identities(people);
    for (const m of messages) identities.add({ userId: m.userId, displayName: m.displayName || m.userId });
    const before = this.identities.colliding().join(",");
    this.identities = identities;
    if (identities.colliding().join(",") !== before) this.rows = new Map();
  }

  /** Forces every row to render again (the viewer or permissions changed). */
  rerender(): void {
    this.rows = new Map();
    if (this.state) this.sync(this.state);
  }

  /**
   * Loads the pages around a message if needed, scrolls to it and highlights it. Keyboard focus
   * is the user's: it moves to the message only for `{ focus: true }`, which callers pass when
   * the user's own click or key in the panel asked for the jump (never for `scroll_to` from
   * Python, which would pull the notebook's active cell back to the widget).
   */
  async jumpTo(messageId: string, options: { focus?: boolean } = {}): Promise<boolean> {
    const found = await this.deps.session.jumpTo(messageId);
    if (!found || !this.list.scrollToKey(messageId)) {
      this.deps.showError({ code: "not_found", message: "" });
      return false;
    }
    this.activeKey = messageId;
    this.syncTabStop();
    const el = this.list.elementFor(messageId);
    el?.classList.add("rtkw-highlight");
    if (options.focus) el?.focus({ preventScroll: true });
    return true;
  }

  async jumpToLatest(): Promise<void> {
    if (this.state && !this.state.atLatest) await this.deps.session.loadLatest();
    this.list.scrollToBottom();
    this.setNewCount(0);
  }

  /** Opens the inline editor on your newest text message. */
  editLast(): void {
    const selfId = this.deps.viewer().selfId;
    const mine = [...this.rows.values()].reverse().find((r) => r.kind === "message" && r.own && r.message.type === "text");
    if (selfId && mine) this.startEdit(mine.key);
  }

  destroy(): void {
    clearInterval(this.clock);
    this.beacon.destroy();
    this.listeners.removeAll();
    this.list.destroy();
  }

  /** Rewrites the relative times ("5 min") of the rendered rows. */
  refreshTimes(now: number = Date.now()): void {
    for (const time of this.content.querySelectorAll<HTMLElement>("time.rtkw-time[data-ms]")) {
      const text = formatRelativeTime(Number(time.dataset.ms), now);
      if (time.textContent !== text) time.textContent = text;
    }
  }

  /** Exactly one rendered message is tabbable: the active one, or else the newest rendered. */
  private syncTabStop(): void {
    const articles = [...this.content.querySelectorAll<HTMLElement>("article[data-key]")];
    const stop = articles.find((a) => a.dataset.key === this.activeKey) ?? articles[articles.length - 1];
    for (const article of articles) article.tabIndex = article === stop ? 0 : -1;
  }

  /** Focuses the message `offset` rows away (or the first/last), scrolling it into the window. */
  private moveFocus(fromKey: string, offset: number | "first" | "last"): void {
    const index = this.rowOrder.indexOf(fromKey);
    if (index < 0) return;
    const target = offset === "first" ? 0 : offset === "last" ? this.rowOrder.length - 1 : index + offset;
    const key = this.rowOrder[Math.max(0, Math.min(this.rowOrder.length - 1, target))]!;
    if (!this.list.elementFor(key)) this.list.scrollToKey(key);
    this.activeKey = key;
    this.syncTabStop();
    this.list.elementFor(key)?.focus();
  }

  /** Enter/Space on a message: move into its action toolbar (the "menu" of edit, pin, delete). */
  private openActions(el: HTMLElement): void {
    const first = el.querySelector<HTMLElement>(".rtkw-actions button, .rtkw-confirm button, .rtkw-file button, .rtkw-image-button");
    if (!first) return;
    el.classList.add("rtkw-actions-open");
    first.focus();
  }

  private rowContext(): RowContext {
    const viewer = this.deps.viewer();
    return {
      selfId: viewer.selfId,
      canPin: viewer.canPin,
      nameOf: viewer.nameOf,
      mediaAccess: viewer.mediaAccess,
      media: this.deps.media,
      now: Date.now(),
      editingId: this.editingId,
      confirmingDeleteId: this.confirmingDeleteId,
      identities: this.identities,
    };
  }

  private onScroll(atTop: boolean, atBottom: boolean): void {
    const state = this.state;
    if (!state?.loaded) return;
    if (atTop && state.hasOlder) void this.deps.session.loadOlder();
    if (atBottom && !state.atLatest) void this.deps.session.loadNewer();
    if (atBottom && state.atLatest && this.beacon.inView) this.setNewCount(0);
  }

  private noteNewMessages(previous: ChatState | null, messages: WireMessage[], selfId: string | null, wasAtBottom: boolean): void {
    const newest = messages[messages.length - 1];
    const oldNewest = this.newestId;
    this.newestId = newest?.id ?? null;
    if (!previous?.loaded || !newest || newest.id === oldNewest || !previous.atLatest || !this.state?.atLatest) return;
    // Only messages appended after the previous newest are new; a jump or reload replaces the window.
    const after = oldNewest ? messages.findIndex((m) => m.id === oldNewest) : -1;
    if (after < 0) return;
    const arrived = messages.slice(after + 1).filter((m) => m.userId !== selfId);
    if (arrived.length === 0) return;
    const last = arrived[arrived.length - 1]!;
    const what = last.type === "text" || last.type === "custom" ? last.text ?? "" : `sent ${last.type === "image" ? "an image" : "a file"}`;
    this.live.textContent = `${displayText(last.displayName)}: ${displayText(what, 200)}`;
    // Unread: arrived while the reader was scrolled up, or while the list was out of view.
    if (!wasAtBottom || !this.beacon.inView) this.setNewCount(this.newCount + arrived.length);
  }

  /** Messages from others that arrived where the reader could not see them. */
  get unread(): number {
    return this.newCount;
  }

  private setNewCount(count: number): void {
    this.newCount = count;
    this.newButton.hidden = count === 0;
    this.newButton.textContent = count === 1 ? "1 new message ↓" : `${count} new messages ↓`;
    this.beacon.setCount(count);
  }

  private rowFor(target: EventTarget | null): { key: string; row: Row; el: HTMLElement } | null {
    const el = (target as Element | null)?.closest?.<HTMLElement>("article[data-key]");
    const key = el?.dataset.key;
    const row = key ? this.rows.get(key) : undefined;
    return el && key && row ? { key, row, el } : null;
  }

  private startEdit(key: string): void {
    this.editingId = key;
    this.confirmingDeleteId = null;
    this.list.refresh(key);
    this.list.scrollToKey(key);
    const input = this.list.elementFor(key)?.querySelector<HTMLTextAreaElement>("[data-role='edit-input']");
    input?.focus();
    input?.setSelectionRange(input.value.length, input.value.length);
  }

  private stopEditing(key: string, refocus = true): void {
    this.editingId = null;
    this.list.refresh(key);
    if (refocus) this.list.elementFor(key)?.focus();
  }

  private saveEdit(key: string, el: HTMLElement): void {
    const input = el.querySelector<HTMLTextAreaElement>("[data-role='edit-input']");
    const text = input?.value ?? "";
    if (!text.trim()) {
      this.deps.showError({ code: "empty", message: "" });
      return;
    }
    if ([...text].length > this.deps.viewer().maxTextLength) {
      this.deps.showError({ code: "text_too_long", message: `The limit is ${this.deps.viewer().maxTextLength} characters.` });
      return;
    }
    this.stopEditing(key);
    void this.deps.session.edit(key, text);
  }

  private onClick(event: MouseEvent): void {
    const actionEl = (event.target as Element).closest<HTMLElement>("[data-action]");
    const found = this.rowFor(event.target);
    if (!actionEl || !found) return;
    const { key, row, el } = found;
    const session = this.deps.session;
    switch (actionEl.dataset.action) {
      case ACTIONS.edit:
        return this.startEdit(key);
      case ACTIONS.saveEdit:
        return this.saveEdit(key, el);
      case ACTIONS.cancelEdit:
        return this.stopEditing(key);
      case ACTIONS.askDelete:
        this.confirmingDeleteId = key;
        this.list.refresh(key);
        this.list.elementFor(key)?.querySelector<HTMLElement>(`[data-action='${ACTIONS.cancelDelete}']`)?.focus();
        return;
      case ACTIONS.cancelDelete:
        this.confirmingDeleteId = null;
        return this.stopEditing(key);
      case ACTIONS.confirmDelete:
        this.confirmingDeleteId = null;
        void session.remove(key);
        return;
      case ACTIONS.pin:
      case ACTIONS.unpin:
        void session.setPinned(key, actionEl.dataset.action === ACTIONS.pin);
        return;
      case ACTIONS.discard:
        if (row.kind === "pending") session.discardPending(row.pending.localId);
        return;
      case ACTIONS.retry:
        if (row.kind === "pending") void session.retryPending(row.pending.localId);
        return;
      case ACTIONS.cancelUpload:
        if (row.kind === "pending") session.cancelUpload(row.pending.localId);
        return;
      case ACTIONS.openImage: {
        const img = el.querySelector<HTMLImageElement>("img.rtkw-image");
        if (row.kind === "message" && img?.src) this.deps.openImage(img.src, row.message);
        return;
      }
      case ACTIONS.download:
        if (row.kind === "message" && row.message.link) {
          const access = this.deps.viewer().mediaAccess;
          downloadAttachment(row.message.link, row.message.name ?? "download", access, this.deps.media).catch((error: unknown) =>
            this.deps.showError({ code: "internal", message: `Download failed: ${String(error)}` }),
          );
        }
        return;
    }
  }

  private onKeyDown(event: KeyboardEvent): void {
    const found = this.rowFor(event.target);
    if (!found) return;
    const target = event.target as HTMLElement;
    if (target.dataset.role === "edit-input") {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.saveEdit(found.key, found.el);
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.stopEditing(found.key);
      }
      return;
    }
    if (target !== found.el) {
      // Escape inside a message's toolbar goes back to the message, not to the composer.
      if (event.key === "Escape" && target.closest(".rtkw-actions, .rtkw-file, .rtkw-image-wrapper")) {
        event.preventDefault();
        found.el.classList.remove("rtkw-actions-open");
        found.el.focus();
      }
      return;
    }
    const moves: Record<string, number | "first" | "last"> = { ArrowUp: -1, ArrowDown: 1, Home: "first", End: "last", PageUp: -5, PageDown: 5 };
    const move = moves[event.key];
    if (move !== undefined) {
      event.preventDefault();
      this.moveFocus(found.key, move);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.openActions(found.el);
    }
  }
}
