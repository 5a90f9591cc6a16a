"""The panel in Notebook 7 in headless Chromium: sending from the panel, receiving from Python."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import LabServer, open_and_run, run_in_kernel, running_lab

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

SETUP = """
from rtk_widget import ChatWidget, Meeting

meeting = Meeting.local(display_name="Ada", title="Notebook 7 chat")
bob = Meeting.local(display_name="Bob", meeting=meeting)
widget = ChatWidget(meeting)
widget
"""


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("notebook7") / "root"
    root.mkdir()
    with running_lab(root, app="notebook") as server:
        yield server


def test_notebook_7_panel_sends_and_receives(notebook7: LabServer, browser: Any) -> None:
    notebook7.write_notebook("chat.ipynb", [SETUP])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_and_run(page, notebook7, "chat.ipynb")
        panel = page.locator(".rtkw-root")
        panel.get_by_role("textbox", name="Message").fill("typed in Notebook 7")
        panel.get_by_role("textbox", name="Message").press("Enter")
        panel.locator("article.rtkw-row", has_text="typed in Notebook 7").wait_for()
        assert run_in_kernel(page, "", "widget.messages[-1].message") == "typed in Notebook 7"
        run_in_kernel(page, "bob.chat.send_text_message('hello from Python')")
        panel.locator("article.rtkw-row", has_text="hello from Python").wait_for()
        assert panel.locator("[role='status']").inner_text() == "Connected"
        run_in_kernel(page, "widget.close(); bob.leave(); meeting.leave()")
    finally:
        page.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
        context.close()
