import { Listeners, h } from "../dom";
import { renderRichText } from "../format/markdown";
import { displayText } from "../format/text";
import type { WireMessage } from "../protocol";

function snippet(message: WireMessage): string {
  // The text as the row shows it, without markdown markers ("**latest**" reads "latest").
  const text = message.type === "text" || message.type === "custom" ? renderRichText(message.text ?? "").textContent ?? "" : null;
  const what = text ?? message.name ?? message.type;
  return displayText(what.replace(/\s+/g, " "), 80);
}

/** "Pinned (N)" with a list of pinned messages; choosing one jumps to it. */
export class PinnedBar {
  readonly el: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly list: HTMLElement;
  private readonly listeners = new Listeners();

  constructor(onJump: (messageId: string) => void) {
    this.toggle = h("button", { className: "rtkw-pinned-toggle", attrs: { type: "button", "aria-expanded": "false" } });
    this.list = h("ul", { className: "rtkw-pinned-list", attrs: { hidden: true, "aria-label": "Pinned messages" } });
    this.el = h("div", { className: "rtkw-pinned-bar", attrs: { hidden: true } }, [this.toggle, this.list]);
    this.listeners.on(this.toggle, "click", () => this.setOpen(this.list.hidden));
    this.listeners.on(this.list, "click", (event) => {
      const item = (event.target as Element).closest<HTMLElement>("[data-message-id]");
      if (!item) return;
      this.setOpen(false);
      onJump(item.dataset.messageId!);
    });
    this.listeners.on(this.el, "keydown", (event) => {
      if (event.key === "Escape" && !this.list.hidden) {
        this.setOpen(false);
        this.toggle.focus();
      }
    });
  }

  /** Shows the pinned messages, newest first. */
  update(pinned: readonly WireMessage[]): void {
    this.el.hidden = pinned.length === 0;
    const latest = pinned[0];
    this.toggle.textContent = latest
      ? `Pinned (${pinned.length}) · ${displayText(latest.displayName, 30)}: ${snippet(latest)}`
      : "";
    this.list.replaceChildren(
      ...pinned.map((message) => {
        const jump = h("button", { className: "rtkw-pinned-item", attrs: { type: "button" } }, [
          h("bdi", { className: "rtkw-name", text: displayText(message.displayName, 30) }),
          `: ${snippet(message)}`,
        ]);
        jump.dataset.messageId = message.id;
        return h("li", {}, [jump]);
      }),
    );
    if (pinned.length === 0) this.setOpen(false);
  }

  private setOpen(open: boolean): void {
    this.list.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
  }

  destroy(): void {
    this.listeners.removeAll();
  }
}
