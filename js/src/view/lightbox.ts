import { Listeners, button, h } from "../dom";

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

/**
 * A modal image viewer: Escape or the backdrop closes it, Tab stays inside, and focus goes
 * back to where it was.
 */
export class Lightbox {
  private overlay: HTMLElement | null = null;
  private readonly listeners = new Listeners();
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly host: HTMLElement) {}

  get isOpen(): boolean {
    return this.overlay !== null;
  }

  open(src: string, label: string, onDownload: () => void): void {
    this.close();
    this.returnFocus = (this.host.ownerDocument.activeElement as HTMLElement | null) ?? null;
    const close = button("Close image", { className: "rtkw-icon-button", icon: "✕" });
    const download = button("Download");
    const img = h("img", { className: "rtkw-lightbox-image", attrs: { src, alt: label } });
    const dialog = h("div", { className: "rtkw-lightbox-dialog", attrs: { role: "dialog", "aria-modal": "true", "aria-label": label } }, [
      h("div", { className: "rtkw-lightbox-bar" }, [h("bdi", { className: "rtkw-lightbox-title", text: label }), download, close]),
      img,
    ]);
    const overlay = h("div", { className: "rtkw-lightbox" }, [dialog]);
    this.overlay = overlay;
    this.host.appendChild(overlay);
    this.listeners.on(close, "click", () => this.close());
    this.listeners.on(download, "click", onDownload);
    this.listeners.on(overlay, "click", (event) => {
      if (event.target === overlay) this.close();
    });
    this.listeners.on(overlay, "keydown", (event) => this.onKeyDown(event, dialog));
    close.focus();
  }

  close(): void {
    if (!this.overlay) return;
    this.listeners.removeAll();
    this.overlay.remove();
    this.overlay = null;
    this.returnFocus?.focus?.();
    this.returnFocus = null;
  }

  private onKeyDown(event: KeyboardEvent, dialog: HTMLElement): void {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = this.host.ownerDocument.activeElement;
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }
}
