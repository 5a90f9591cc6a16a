/**
 * Keys typed in the panel are the panel's. JupyterLab's command mode binds plain keys on any
 * focused element inside a notebook ("a" inserts a cell, "d d" deletes one, arrows select
 * cells), and its shortcut matcher walks up from the focused element, so an attribute on the
 * panel's root comes too late: the focused element itself must carry Lumino's
 * `data-lm-suppress-shortcuts`. Marking each element as it gains focus covers rows, buttons and
 * the composer alike, however they were built.
 */
const SUPPRESS = "data-lm-suppress-shortcuts";

export function keepKeysInside(root: HTMLElement): void {
  root.addEventListener("focusin", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && !target.hasAttribute(SUPPRESS)) target.setAttribute(SUPPRESS, "true");
  });
}
