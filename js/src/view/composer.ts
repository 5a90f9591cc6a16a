import { Listeners, button, h } from "../dom";
import { Identities, idTag } from "../format/identity";
import { formatSize } from "../format/size";
import { codePointLength, displayText } from "../format/text";
import type { Participant } from "../traits";

export interface ComposerOptions {
  /** Sends the draft; attachments first, then the text. */
  onSend(draft: { text: string; files: File[]; to: string[] }): void;
  /** Arrow Up in an empty composer edits your last message. */
  onEditLast?(): void;
  /** A file was not attached because it is over the upload limit. */
  onRejectFile?(message: string): void;
}

const MAX_ROWS_PX = 160;

/** Characters left before the limit, or null while the counter should stay hidden. */
export function counterState(length: number, max: number): { remaining: number; visible: boolean; over: boolean } {
  const remaining = max - length;
  const threshold = Math.max(10, Math.ceil(max * 0.1));
  return { remaining, visible: remaining <= threshold, over: remaining < 0 };
}

/** The message input: text, attachments, recipient, counter and send button. */
const LONG_PLACEHOLDER = "Message (Enter to send, Shift+Enter for a new line)";
/** Below this width the long placeholder would wrap. */
const WIDE_INPUT_PX = 340;

export class Composer {
  readonly el: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  readonly recipient: HTMLSelectElement;
  readonly sendButton: HTMLButtonElement;
  readonly counter: HTMLElement;
  private readonly fileInput: HTMLInputElement;
  private readonly attachButton: HTMLButtonElement;
  private readonly chips: HTMLElement;
  private readonly listeners = new Listeners();
  private files: File[] = [];
  private maxLength = 2000;
  private canSend = true;
  private canSendFiles = true;
  private maxUploadBytes: number | null = null;

  constructor(private readonly options: ComposerOptions) {
    this.textarea = h("textarea", {
      className: "rtkw-input",
      attrs: {
        rows: 1,
        "aria-label": "Message",
        placeholder: LONG_PLACEHOLDER,
        title: "Enter to send, Shift+Enter for a new line",
      },
    });
    // The full hint only where it fits on one line; a narrow box says just "Message".
    if (typeof ResizeObserver === "function") {
      const observer = new ResizeObserver(() => {
        const wide = this.textarea.clientWidth >= WIDE_INPUT_PX;
        this.textarea.placeholder = wide ? LONG_PLACEHOLDER : "Message";
      });
      observer.observe(this.textarea);
      this.listeners.add(() => observer.disconnect());
    }
    this.counter = h("span", { className: "rtkw-counter", attrs: { hidden: true } });
    this.counter.id = `rtkw-counter-${Math.random().toString(36).slice(2, 10)}`;
    this.textarea.setAttribute("aria-describedby", this.counter.id);
    this.recipient = h("select", { className: "rtkw-recipient", attrs: { "aria-label": "Send to" } });
    this.fileInput = h("input", { attrs: { type: "file", multiple: true, hidden: true, tabindex: -1 } });
    this.attachButton = button("Attach", { className: "rtkw-button", title: "Attach a file or image (or drop / paste it here)" });
    this.attachButton.setAttribute("aria-label", "Attach a file or image");
    this.sendButton = h("button", { className: "rtkw-send", text: "Send", attrs: { type: "submit" } });
    this.chips = h("ul", { className: "rtkw-attachments", attrs: { "aria-label": "Attachments to send" } });
    this.el = h("form", { className: "rtkw-composer", attrs: { "aria-label": "Send a message" } }, [
      this.chips,
      h("div", { className: "rtkw-composer-row" }, [this.recipient, this.textarea, this.attachButton, this.sendButton]),
      this.counter,
      this.fileInput,
    ]);
    this.setParticipants([], null);
    this.listeners.on(this.el, "submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.listeners.on(this.textarea, "keydown", (event) => this.onKeyDown(event));
    this.listeners.on(this.textarea, "input", () => this.refresh());
    this.listeners.on(this.attachButton, "click", () => this.fileInput.click());
    this.listeners.on(this.fileInput, "change", () => {
      this.addFiles([...(this.fileInput.files ?? [])]);
      this.fileInput.value = "";
    });
    this.listeners.on(this.chips, "click", (event) => {
      const target = (event.target as Element).closest<HTMLElement>("[data-index]");
      if (target) this.removeFile(Number(target.dataset.index));
    });
    this.refresh();
  }

  destroy(): void {
    this.listeners.removeAll();
  }

  setLimits(maxLength: number, maxUploadBytes: number | null = null): void {
    this.maxLength = maxLength;
    this.maxUploadBytes = maxUploadBytes;
    this.refresh();
  }

  setPermissions(canSend: boolean, canSendFiles: boolean, canSendPrivate: boolean): void {
    this.canSend = canSend;
    this.canSendFiles = canSendFiles;
    this.textarea.disabled = !canSend;
    this.attachButton.disabled = !canSend || !canSendFiles;
    this.recipient.hidden = !canSendPrivate;
    if (!canSendPrivate) this.recipient.value = "";
    this.refresh();
  }

  /**
   * Fills the recipient list: "Everyone" plus every participant but yourself; a name that reads
   * like another's (or like `selfName`) carries its user id tag, so the choice is never a guess.
   */
  setParticipants(participants: readonly Participant[], selfId: string | null, selfName?: string): void {
    const selected = this.recipient.value;
    const options = [h("option", { text: "Everyone", attrs: { value: "" } })];
    const identities = new Identities(participants);
    if (selfId !== null && selfName !== undefined) identities.add({ userId: selfId, displayName: selfName });
    for (const p of participants) {
      if (p.userId === selfId) continue;
      const name = displayText(p.displayName, 40);
      const text = identities.collides(p) ? `${name} ${idTag(p.userId)}` : name;
      options.push(h("option", { text, attrs: { value: p.userId } }));
    }
    this.recipient.replaceChildren(...options);
    this.recipient.value = options.some((o) => o.value === selected) ? selected : "";
  }

  /** Adds files from the picker, a drop or a paste. */
  addFiles(files: File[]): void {
    if (!this.canSend || !this.canSendFiles || files.length === 0) return;
    const limit = this.maxUploadBytes;
    const accepted = limit === null ? files : files.filter((f) => f.size <= limit);
    for (const file of files) {
      if (!accepted.includes(file)) {
        const name = displayText(file.name || "file", 60);
        this.options.onRejectFile?.(`${name} is ${formatSize(file.size)}; the limit is ${formatSize(limit!)}.`);
      }
    }
    if (accepted.length === 0) return;
    this.files = [...this.files, ...accepted];
    this.renderChips();
    this.refresh();
  }

  get attachments(): readonly File[] {
    return this.files;
  }

  focus(): void {
    this.textarea.focus();
  }

  /** Sends the draft if it is allowed; returns whether it was sent. */
  submit(): boolean {
    const text = this.textarea.value;
    const hasText = text.trim().length > 0;
    if (!this.canSend || counterState(codePointLength(text), this.maxLength).over) return false;
    if (!hasText && this.files.length === 0) return false;
    const to = this.recipient.value ? [this.recipient.value] : [];
    this.options.onSend({ text: hasText ? text : "", files: this.files, to });
    this.textarea.value = "";
    this.files = [];
    this.renderChips();
    this.refresh();
    return true;
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    } else if (event.key === "ArrowUp" && this.textarea.value === "" && this.options.onEditLast) {
      event.preventDefault();
      this.options.onEditLast();
    }
  }

  private removeFile(index: number): void {
    this.files = this.files.filter((_, i) => i !== index);
    this.renderChips();
    this.refresh();
    this.textarea.focus();
  }

  private renderChips(): void {
    this.chips.replaceChildren(
      ...this.files.map((file, index) => {
        const name = displayText(file.name || "pasted file", 60);
        const remove = button(`Remove ${name}`, { className: "rtkw-icon-button", icon: "✕" });
        remove.dataset.index = String(index);
        return h("li", { className: "rtkw-chip" }, [
          h("bdi", { text: name }),
          h("span", { className: "rtkw-file-size", text: formatSize(file.size) }),
          remove,
        ]);
      }),
    );
  }

  /** Updates the counter, the send button and the textarea height. */
  refresh(): void {
    const length = codePointLength(this.textarea.value);
    const state = counterState(length, this.maxLength);
    this.counter.hidden = !state.visible;
    this.counter.classList.toggle("rtkw-over", state.over);
    const count = Math.abs(state.remaining);
    const characters = `${count} character${count === 1 ? "" : "s"}`;
    this.counter.textContent = state.over ? `${characters} over the limit of ${this.maxLength}` : `${characters} left`;
    const empty = this.textarea.value.trim().length === 0 && this.files.length === 0;
    this.sendButton.disabled = !this.canSend || state.over || empty;
    this.textarea.style.height = "auto";
    // An empty box stays one row: Chromium counts a placeholder wrapped in a narrow box as content.
    const wanted = this.textarea.value ? this.textarea.scrollHeight : 0;
    if (wanted > 0) this.textarea.style.height = `${Math.min(wanted, MAX_ROWS_PX)}px`;
  }
}
