"""A real JupyterLab server and helpers to drive it from Playwright.

The kernel reports its state to a loopback sink (an HTTP server run by the
test) so tests wait on events rather than poll the kernel; the same sink counts
any other request, which is how hostile content that manages to load a URL is
caught.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nbformat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A running `jupyter lab` on loopback."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    app: str = "jupyterlab"

    def notebook_url(self, name: str) -> str:
        if self.app == "notebook":
            return f"{self.url}/notebooks/{name}?token={self.token}"
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def write_notebook(self, name: str, cells: list[str]) -> None:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, self.root / name)


@contextmanager
def running_lab(root: Path, app: str = "jupyterlab") -> Iterator[LabServer]:
    """Start JupyterLab (or ``app="notebook"``: Notebook 7) on a free port and wait until
    /api/status answers."""
    port = free_port()
    token = secrets.token_hex(16)
    home = root.parent / "jupyter-home"
    env = {
        **os.environ,
        # Keep Lab's user settings, workspaces and runtime files out of the real home.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    log = root.parent / "jupyterlab.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            app,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True" if app == "jupyterlab"
            else "--JupyterNotebookApp.expose_app_in_browser=True",
            # CI containers run as root; Jupyter refuses that unless told.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    listening = threading.Event()
    copier = threading.Thread(target=copy_log, args=(process, log, listening), daemon=True)
    copier.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, token, process, log, listening)
        yield LabServer(url, token, root, process, log, app)
    finally:
        stop(process, copier)


def stop(process: subprocess.Popen[bytes], copier: threading.Thread | None = None) -> None:
    """Ask a server to exit; kill it if it has not within 20 s. Then let ``copier`` (the thread
    copying its output) finish and close the pipe."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if copier is not None:
        copier.join(timeout=5)
    if process.stdout is not None and (copier is None or not copier.is_alive()):
        process.stdout.close()


LISTENING = (b"is running at", b"/lab?token=")
"""What Jupyter servers print once they serve."""


def copy_log(
    process: subprocess.Popen[bytes],
    log: Path,
    listening: threading.Event,
    markers: tuple[bytes, ...] = LISTENING,
) -> None:
    """Tee the server's output to a file and signal when a line says it is listening."""
    assert process.stdout is not None
    with log.open("wb") as out:
        for line in process.stdout:
            out.write(line)
            out.flush()
            if any(marker in line for marker in markers):
                listening.set()
    listening.set()  # exited: let the waiter see it at once


def wait_until_ready(
    url: str, token: str, process: subprocess.Popen[bytes], log: Path, listening: threading.Event
) -> None:
    if not listening.wait(timeout=90) or process.poll() is not None:
        raise RuntimeError(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
    status = httpx.get(f"{url}/api/status", params={"token": token}, timeout=10)
    if status.status_code != 200:
        raise RuntimeError(f"/api/status answered {status.status_code}: {status.text[:300]}")


@dataclass
class Sink:
    """A loopback HTTP server: POST /report/<topic> queues JSON; anything else is a hit."""

    url: str
    reports: dict[str, queue.Queue[Any]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def topic(self, name: str) -> queue.Queue[Any]:
        with self.lock:
            return self.reports.setdefault(name, queue.Queue())

    def wait_for(self, name: str, predicate: Callable[[Any], bool], timeout: float = 30) -> Any:
        """Return the first report on ``name`` that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        seen: list[Any] = []
        topic = self.topic(name)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no report on {name!r} matched within {timeout} s; last: {seen[-3:]}")
            try:
                value = topic.get(timeout=remaining)
            except queue.Empty:
                continue
            seen.append(value)
            if predicate(value):
                return value


@contextmanager
def running_sink() -> Iterator[Sink]:
    sink_ref: list[Sink] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            sink = sink_ref[0]
            if self.path.startswith("/report/"):
                sink.topic(self.path.removeprefix("/report/")).put(json.loads(body))
            else:
                with sink.lock:
                    sink.hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            with sink_ref[0].lock:
                sink_ref[0].hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink_ref.append(Sink(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink_ref[0]
    finally:
        server.shutdown()
        server.server_close()


RUN_IN_KERNEL = """
async ([code, expr]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, user_expressions: expr ? {result: expr} : {}});
  const errors = [];
  future.onIOPub = (msg) => { if (msg.header.msg_type === 'error') errors.push(msg.content.evalue); };
  const reply = await future.done;
  if (reply.content.status !== 'ok') return {error: reply.content.evalue || errors.join('; ')};
  const result = expr ? reply.content.user_expressions.result : null;
  if (result && result.status !== 'ok') return {error: result.evalue};
  return {value: result ? result.data['text/plain'] : null};
}
"""


def run_in_kernel(page: Any, code: str, expr: str | None = None) -> Any:
    """Execute ``code`` in the open notebook's kernel; return ``expr``'s value sent as JSON."""
    wrapped = f"__import__('json').dumps({expr})" if expr else None
    outcome = page.evaluate(RUN_IN_KERNEL, [code, wrapped])
    if "error" in outcome:
        raise AssertionError(f"kernel code failed: {outcome['error']}")
    value = outcome["value"]
    return None if value is None else json.loads(ast.literal_eval(value))


OPEN_AND_RUN = """
async (firstOnly) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  if (!firstOnly) return app.commands.execute('notebook:run-all-cells');
  panel.content.activeCellIndex = 0;
  await app.commands.execute('notebook:run-cell-and-select-next');
}
"""


def open_and_run(page: Any, lab: LabServer, name: str, first_only: bool = False) -> None:
    """Open a notebook in Lab and run all its cells, or only the first (the next one is then
    active, as after Shift+Enter); returns once they are queued."""
    page.goto(lab.notebook_url(name))
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext",
        timeout=60_000,
    )
    page.evaluate(OPEN_AND_RUN, first_only)
