"""Drive a notebook in JupyterLab from Playwright and time when text shows up in its output.

Times are taken inside the page with ``performance.now()``: from the moment the cell (or
kernel request) is started to the animation frame after the awaited text entered the DOM,
i.e. the frame that paints it. The text is found by a MutationObserver that also watches
every shadow root below the cell (Bokeh, behind Panel, renders into shadow DOM), with a
per-frame check as a backstop. Text counts once a visible element shows it (not in a
``<script>``: Panel ships its document as JSON in one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OFF_MACHINE = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)[:/])[a-z]+://")

# Installed in every page: window.__benchWait(root, markers, timeoutMs) resolves with
# {marker, found, painted} (performance.now() values) once one marker is in a text node.
WAIT_FOR_TEXT = """
window.__benchWait = (root, markers, timeoutMs) => new Promise((resolve, reject) => {
  const watched = new WeakSet();
  let done = false;
  let frame = 0;
  const observer = new MutationObserver(() => check());
  const watch = (node) => {
    if (watched.has(node)) return;
    watched.add(node);
    observer.observe(node, {subtree: true, childList: true, characterData: true});
  };
  // Text in a <script> (Panel embeds its document as JSON) or a hidden element is not shown.
  const shown = (el) => el && !['SCRIPT', 'STYLE', 'TEMPLATE', 'TEXTAREA'].includes(el.tagName)
    && el.checkVisibility();
  const search = (node) => {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = walker.currentNode; n; n = walker.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) {
        const hit = markers.find((m) => n.data.includes(m));
        if (hit && shown(n.parentElement)) return hit;
      } else if (n.shadowRoot) {
        watch(n.shadowRoot);
        const hit = search(n.shadowRoot);
        if (hit) return hit;
      }
    }
    return null;
  };
  const stop = () => {
    done = true; observer.disconnect(); cancelAnimationFrame(frame); clearTimeout(timer);
  };
  const check = () => {
    if (done) return;
    const hit = search(root);
    if (!hit) return;
    const found = performance.now();
    stop();
    requestAnimationFrame(() => resolve({marker: hit, found, painted: performance.now()}));
  };
  const tick = () => { check(); if (!done) frame = requestAnimationFrame(tick); };
  const timer = setTimeout(() => {
    if (!done) { stop(); reject(new Error('none of ' + JSON.stringify(markers) + ' appeared')); }
  }, timeoutMs);
  watch(root);
  tick();
});
"""

RUN_CELL = """
async (index) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  panel.content.activeCellIndex = index;
  return await app.commands.execute('notebook:run-cell');
}
"""

SHOW_CELL = """
async ([index, markers, timeoutMs]) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  panel.content.activeCellIndex = index;
  const root = panel.content.widgets[index].outputArea.node;
  const started = performance.now();
  const run = app.commands.execute('notebook:run-cell');
  const seen = await window.__benchWait(root, markers, timeoutMs);
  await run;
  return {marker: seen.marker, found: seen.found - started, painted: seen.painted - started};
}
"""

EXECUTE_UNTIL_SEEN = """
async ([code, index, markers, timeoutMs]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const root = panel.content.widgets[index].outputArea.node;
  const started = performance.now();
  const future = kernel.requestExecute({code});
  const seen = await window.__benchWait(root, markers, timeoutMs);
  const reply = await future.done;
  if (reply.content.status !== 'ok') throw new Error(reply.content.evalue);
  return {marker: seen.marker, found: seen.found - started, painted: seen.painted - started};
}
"""


@dataclass(frozen=True)
class Seen:
    """Which awaited text appeared, and after how many milliseconds (in DOM, painted)."""

    marker: str
    found_ms: float
    painted_ms: float


def _seen(result: dict[str, Any]) -> Seen:
    return Seen(result["marker"], result["found"], result["painted"])


def open_notebook(page: Any, url: str) -> None:
    """Open a notebook and wait until its kernel is ready (runs nothing)."""
    page.goto(url)
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext",
        timeout=60_000,
    )
    page.evaluate(
        "async () => { const p = window.jupyterapp.shell.currentWidget;"
        " await p.context.ready; await p.sessionContext.ready; }"
    )


def run_cell(page: Any, index: int) -> None:
    """Run one cell and wait for it to finish."""
    page.evaluate(RUN_CELL, index)


def show_cell(page: Any, index: int, markers: list[str], timeout_s: float) -> Seen:
    """Run a cell; time until one of ``markers`` is painted in its output."""
    return _seen(page.evaluate(SHOW_CELL, [index, markers, timeout_s * 1000]))


def execute_until_seen(page: Any, code: str, index: int, markers: list[str], timeout_s: float) -> Seen:
    """Execute ``code`` in the notebook's kernel; time until a marker is painted in cell ``index``."""
    return _seen(page.evaluate(EXECUTE_UNTIL_SEEN, [code, index, markers, timeout_s * 1000]))


def loopback_only(context: Any) -> None:
    """Refuse every request that would leave the machine (Panel links its CSS from a CDN)."""
    context.route(OFF_MACHINE, lambda route: route.abort("blockedbyclient"))
