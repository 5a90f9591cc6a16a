"""Widget benchmark: rtk-widget's ChatWidget next to Panel's ChatFeed, in one real JupyterLab.

    .venv/bin/pip install -e '.[test,bench]'      # Panel is the baseline only
    .venv/bin/python bench/widget.py --quick      # histories of 100 and 10,000 (~3 min)
    .venv/bin/python bench/widget.py              # histories of 100 and 100,000 (~10 min)
    .venv/bin/python bench/widget.py --sizes 1000 --samples 5 --budget 60 --verbose
    .venv/bin/python bench/widget.py --only rtk-widget   # without the Panel baseline

Both panels run in the same JupyterLab (a fresh kernel each), in headless Chromium
(/usr/bin/chromium), holding the same history texts. For each history size it prints:

- bytes to the browser per new message: output frames (iopub other than status and
  execute_input: comm messages, display data) the page receives on the kernel's WebSocket,
  from the trigger until a later no-op execution has finished; median over the samples.
  rtk-widget: a second participant (Bob, a Python client in the same kernel) sends one
  message, which travels through the embedded meeting server to Ada's widget.
  Panel: ``feed.send(text, respond=False)``; there is no server in its path.
- time for a new message to appear: from starting that trigger (in the page) to the
  animation frame after its text entered the panel's DOM; median and max.
- time to first paint: from running the cell that builds and displays the panel (from a
  history already in the kernel: Ada's joined meeting; a list of (user, text) for Panel)
  to the frame after the newest history message's text entered the DOM; also the bytes
  received meanwhile and the kernel-side build time included in it.

Panel builds one ChatMessage object per message; that build gives up after ``--budget``
seconds (20 quick, 120 full) and is then reported as "did not finish within N s" with how
far it got; a new message not shown within the budget is reported the same way.
Panel runs with ``pn.extension(inline=True)`` (its JS comes from the kernel: the page may
only reach loopback, every other request is refused) and ``pn.config.inline = False`` for
the feed itself (Panel's default; inline stylesheets make displaying O(models^2)), so its
CSS links are refused and the feed paints unstyled, with the same text.
``--verbose`` prints each sample's frames (msg_type:bytes).
Last, for each contender, the figures that must not grow with the history are printed at the
largest history over the smallest, next to the target (new message 1.2x, first paint 1.5x);
nothing fails on them: they are figures to read, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.jupyter.lab: the JupyterLab fixture the tests use

from _contenders import CONTENDERS, GAVE_UP, Contender  # noqa: E402
from _frames import KernelTraffic, Traffic  # noqa: E402
from _history import history_text  # noqa: E402
from _lab import WAIT_FOR_TEXT, execute_until_seen, loopback_only, open_notebook, run_cell, show_cell  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402

from tests.jupyter.lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer, run_in_kernel, running_lab  # noqa: E402

SHOW = 1  # index of the show cell


@dataclass
class Result:
    """Figures of one contender at one history size."""

    contender: str
    history: int
    paint_ms: float | None = None
    paint_traffic: Traffic | None = None
    build_s: float | None = None
    gave_up: str | None = None  # why the panel was never shown
    new_gave_up: str | None = None  # why new messages were not measured
    new_ms: list[float] = field(default_factory=list)
    new_traffic: list[Traffic] = field(default_factory=list)


def measure(lab: LabServer, browser: Any, contender: Contender, history: int,
            args: argparse.Namespace) -> Result:
    """Open a fresh notebook (and kernel) for ``contender`` and take all its figures."""
    name = f"{contender.name.split()[0].lower()}-{history}.ipynb"
    lab.write_notebook(name, contender.cells(history, args.budget))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WAIT_FOR_TEXT)
    loopback_only(context)
    page = context.new_page()
    page.set_default_timeout(120_000)
    traffic = KernelTraffic()
    traffic.attach(page)
    try:
        open_notebook(page, lab.notebook_url(name))
        result = measure_page(page, traffic, contender, history, args)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"bench-{name}.png"))
        raise
    finally:
        page.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
        context.close()
    return result


def measure_page(page: Any, traffic: KernelTraffic, contender: Contender, history: int,
                 args: argparse.Namespace) -> Result:
    result = Result(contender.name, history)
    run_in_kernel(page, "pass")  # the kernel is up and answering before the notebook runs a cell
    run_cell(page, 0)
    run_in_kernel(page, "", "READY")  # raises if the prepare cell failed
    mark = traffic.mark()
    seen = show_cell(page, SHOW, [history_text(history - 1), GAVE_UP], args.budget + 120)
    run_in_kernel(page, "pass")
    built, build_s = run_in_kernel(page, "", "[BUILT, BUILD_SECONDS]")
    if seen.marker == GAVE_UP:
        result.gave_up = f"did not finish within {args.budget:.0f} s ({built:,} of {history:,} built)"
        return result
    result.paint_ms, result.build_s = seen.painted_ms, build_s
    result.paint_traffic = traffic.output_since(mark)
    for sample in range(args.samples):
        text = f"new message {sample:04d}"
        mark = traffic.mark()
        try:
            seen = execute_until_seen(page, contender.send.format(text=text), SHOW, [text], args.budget)
        except PlaywrightError as error:
            if "appeared" not in str(error):
                raise
            result.new_gave_up = f"not shown within {args.budget:.0f} s"
            break
        run_in_kernel(page, "pass")  # everything the send caused has been received before this reply
        result.new_ms.append(seen.painted_ms)
        result.new_traffic.append(traffic.output_since(mark))
        if args.verbose:
            print(f"  {text}: {seen.painted_ms:.1f} ms; {traffic.describe_since(mark)}", flush=True)
    return result


# --------------------------------------------------------------------------- report

def _bytes(traffic: list[Traffic]) -> str:
    sizes = sorted(t.size for t in traffic)
    frames = statistics.median(t.frames for t in traffic)
    return f"{statistics.median(sizes):,.0f} B ({frames:g} frames)"


def cells(result: Result) -> dict[str, str]:
    if result.gave_up is not None:
        return {row: result.gave_up if row == "time to first paint" else "n/a" for row in ROWS}
    assert result.paint_traffic is not None
    assert result.paint_ms is not None
    if result.new_ms:
        per_message = _bytes(result.new_traffic)
        appears = f"{statistics.median(result.new_ms):.1f} / {max(result.new_ms):.1f} ms"
        if result.new_gave_up:
            appears += f" (n={len(result.new_ms)}, then {result.new_gave_up})"
    else:
        per_message = appears = f"{result.new_gave_up}"
    return {
        "bytes to browser per new message (median)": per_message,
        "new message appears (median / max)": appears,
        "time to first paint": f"{result.paint_ms:,.0f} ms",
        "  of which kernel-side build": f"{result.build_s * 1000:,.0f} ms" if result.build_s else "-",
        "  bytes to browser until first paint":
            f"{result.paint_traffic.size:,} B ({result.paint_traffic.frames} frames)",
    }


ROWS = [
    "bytes to browser per new message (median)",
    "new message appears (median / max)",
    "time to first paint",
    "  of which kernel-side build",
    "  bytes to browser until first paint",
]


def print_table(results: list[Result], sizes: list[int], contenders: list[Contender]) -> None:
    names = [c.name for c in contenders]
    by_key = {(r.contender, r.history): cells(r) for r in results}
    width = max(len(v) for c in by_key.values() for v in c.values()) + 2
    print(f"\n{'metric':44}{'history':>9}  " + "".join(f"{n:{width}}" for n in names))
    for size in sizes:
        for row in ROWS:
            values = [by_key[(n, size)][row] for n in names]
            print(f"{row:44}{size:>9,}  " + "".join(f"{v:{width}}" for v in values))
        print()


TARGETS = (
    ("new message appears (median)", lambda r: statistics.median(r.new_ms) if r.new_ms else None, 1.2),
    ("time to first paint", lambda r: r.paint_ms, 1.5),
)
"""What must not grow with the history: the figure at the largest history over the smallest."""


def print_ratios(results: list[Result], sizes: list[int]) -> None:
    """Each contender's figures at the largest history next to the smallest, with the target."""
    small, large = min(sizes), max(sizes)
    if small == large:
        return
    by_key = {(r.contender, r.history): r for r in results}
    print(f"history {large:,} against {small:,} (same run):")
    for contender in dict.fromkeys(r.contender for r in results):
        for label, figure, target in TARGETS:
            at_small, at_large = (figure(by_key[(contender, size)]) for size in (small, large))
            if at_small is None or at_large is None:
                print(f"  {contender:16}{label:32} n/a (not measured at both sizes)")
                continue
            ratio = at_large / at_small
            verdict = "within" if ratio <= target else "OVER"
            print(f"  {contender:16}{label:32} {at_large:8.1f} / {at_small:8.1f} ms = {ratio:5.2f}x"
                  f"  ({verdict} the {target}x target)")
    print()


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def print_environment(browser_version: str, elapsed: float) -> None:
    packages = ", ".join(f"{p} {_version(p)}" for p in
                         ("rtk-widget", "jupyterlab", "anywidget", "ipywidgets", "panel", "bokeh"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()}, {packages}; Chromium {browser_version}")
    print(f"{os.cpu_count()} CPUs, load average {load}; run took {elapsed:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="histories of 100 and 10,000, 3 samples, 20 s budget")
    parser.add_argument("--sizes", type=int, nargs="+", help="history sizes (default 100 100000)")
    parser.add_argument("--samples", type=int, help="new messages per measurement (default 10, quick 3)")
    parser.add_argument("--budget", type=float,
                        help="seconds a panel may take to build or show a message (default 120)")
    parser.add_argument("--verbose", action="store_true", help="print every sample's frames")
    parser.add_argument("--only", choices=[c.name for c in CONTENDERS],
                        help="measure one contender (default: all, side by side)")
    args = parser.parse_args()
    contenders = [c for c in CONTENDERS if args.only in (None, c.name)]
    for missing in [c for c in contenders if importlib.util.find_spec(c.module) is None]:
        print(f"skipping {missing.name}: {missing.module} is not installed "
              f"(.venv/bin/pip install {missing.module} to compare)")
        contenders.remove(missing)
    sizes = args.sizes or ([100, 10_000] if args.quick else [100, 100_000])
    args.samples = args.samples or (3 if args.quick else 10)
    args.budget = args.budget or (20 if args.quick else 120)

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="rtkw-bench-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        with running_lab(root) as lab, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for size in sizes:
                for contender in contenders:
                    print(f"measuring {contender.name} with a history of {size:,} ...", flush=True)
                    results.append(measure(lab, browser, contender, size, args))
            browser_version = browser.version
            browser.close()
    print_table(results, sizes, contenders)
    print_ratios(results, sizes)
    print_environment(browser_version, time.monotonic() - started)


if __name__ == "__main__":
    main()
