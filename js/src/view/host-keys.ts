/**
 * Keys typed in the panel are the panel's. JupyterLab's command mode binds plain keys on any
 * focused element inside a notebook ("a" inserts a cell, "d d" deletes one, arrows select
 * cells), and its shortcut matcher walks up from the focused element, so an attribute on the
 * panel's root comes too late: the focused element itself must carry Lumino's
 * `data-lm-suppress-shortcuts`. Marking each element as it gains focus covers rows, buttons and
 * the composer alike, however they were built.
 *
 * The notebook's own Ctrl/Cmd shortcuts (save with Ctrl+S, the command palette, the side bars)
 * still work from inside the panel: for such a key the mark is lifted while the event is
 * dispatched (a listener on the window in the capture phase runs before any of the page's), and
 * put back right after. Combinations the panel or a text field uses themselves (editing,
 * selection, clipboard, undo, Enter, the arrows) keep the mark, so they never reach the notebook.
 */
const SUPPRESS = "data-lm-suppress-shortcuts";

const PANEL_OWNED = new Set([
  "a", "c", "v", "x", "z", "y", "enter", "backspace", "delete", "tab", " ",
  "arrowup", "arrowdown", "arrowleft", "arrowright", "home", "end", "pageup", "pagedown",
]);

/** True for a Ctrl/Cmd combination the panel leaves to the notebook (e.g. Ctrl+S). */
export function isHostShortcut(event: Pick<KeyboardEvent, "ctrlKey" | "metaKey" | "key">): boolean {
  return (event.ctrlKey || event.metaKey) && !PANEL_OWNED.has(event.key.toLowerCase());
}

const marked = new WeakSet<HTMLElement>();
const installed = new WeakSet<Window>();

export function keepKeysInside(root: HTMLElement): void {
  root.addEventListener("focusin", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && !target.hasAttribute(SUPPRESS)) {
      target.setAttribute(SUPPRESS, "true");
      marked.add(target);
    }
  });
  const view = root.ownerDocument.defaultView;
  if (view && !installed.has(view)) {
    installed.add(view);
    view.addEventListener("keydown", liftForHostShortcut, { capture: true });
  }
}

function liftForHostShortcut(event: KeyboardEvent): void {
  const target = event.target;
  if (!(target instanceof HTMLElement) || !marked.has(target) || !isHostShortcut(event)) return;
  target.removeAttribute(SUPPRESS);
  // After this event's dispatch: a macrotask runs only once every listener has seen it.
  setTimeout(() => {
    if (target.isConnected) target.setAttribute(SUPPRESS, "true");
  }, 0);
}
