"""The panel in marimo in headless Chromium: sending from the panel, receiving from Python, and a
cell reading the widget's messages re-running when they change. marimo re-runs a cell that reads
`mo.ui.anywidget(widget).value` when the front end saves a trait (not when Python sets one), so
the panel echoes its feed position into `seen_feed_seq`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from .lab import copy_log, free_port, stop

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

MARIMO_APP = '''
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    from rtk_widget import ChatWidget, Meeting

    meeting = Meeting.local(display_name="Ada", title="marimo chat")
    bob = Meeting.local(display_name="Bob", meeting=meeting)
    widget = ChatWidget(meeting)
    chat = mo.ui.anywidget(widget)
    bob_says = mo.ui.button(label="Bob says hi", on_click=lambda _: bob.chat.send_text_message("hi from Bob"))
    mo.vstack([chat, bob_says])
    return chat, mo, widget


@app.cell
def _(chat, mo, widget):
    chat.value  # re-runs this cell whenever the panel reports a change
    texts = [m.message for m in widget.messages if m.type == "text"]
    mo.md(f"latest message: {texts[-1] if texts else 'none'}")
    return
'''


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("marimo")
    (folder / "chat.py").write_text(MARIMO_APP)
    port = free_port()
    env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1", "NO_PROXY": "127.0.0.1,localhost"}
    process = subprocess.Popen(
        [sys.executable, "-m", "marimo", "run", str(folder / "chat.py"), "--headless",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=folder,
    )
    log = folder / "marimo.log"
    listening = threading.Event()
    # marimo prints its URL once it serves.
    copier = threading.Thread(target=copy_log, args=(process, log, listening, (b"URL:",)), daemon=True)
    copier.start()
    try:
        if not listening.wait(timeout=90) or process.poll() is not None:
            raise RuntimeError(f"marimo did not start:\n{log.read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process, copier)


def test_marimo_panel_sends_receives_and_reruns_a_cell_reading_the_messages(
    marimo_url: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(marimo_url)
        panel = page.locator(".rtkw-root")
        panel.get_by_role("textbox", name="Message").wait_for()
        latest = page.get_by_text("latest message:")
        latest.wait_for()
        panel.get_by_role("textbox", name="Message").fill("typed in marimo")
        panel.get_by_role("textbox", name="Message").press("Enter")
        page.get_by_text("latest message: typed in marimo").wait_for()
        page.get_by_role("button", name="Bob says hi").click()
        panel.locator("article.rtkw-row", has_text="hi from Bob").wait_for()
        page.get_by_text("latest message: hi from Bob").wait_for()
        assert panel.locator("[role='status']").inner_text() == "Connected"
    finally:
        page.close()
