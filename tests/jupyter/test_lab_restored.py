"""A notebook saved with its widget state, reopened without running it: the panel is calm.

The model comes back from the notebook's metadata with no comm behind it, so nobody will
answer the panel's requests. It must say so in words, not raise a timeout alarm.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .lab import LabServer, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "restored.ipynb"
SETUP = """
from rtk_widget import ChatWidget, Meeting

meeting = Meeting.local(display_name="Ada", title="Saved chat")
widget = ChatWidget(meeting)
widget.send_text("saved with the notebook")
widget
"""
WIDGET_SETTINGS = "@jupyter-widgets/jupyterlab-manager:plugin"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
CALM = "Not connected — run the cell to reconnect"


def save_widget_state(lab: LabServer, enabled: bool) -> None:
    response = httpx.put(
        f"{lab.url}/lab/api/settings/{WIDGET_SETTINGS}",
        headers={"Authorization": f"token {lab.token}"},
        json={"raw": json.dumps({"saveState": enabled})},
    )
    response.raise_for_status()


@pytest.fixture
def saved_notebook(lab: LabServer, browser: Any) -> Iterator[None]:
    save_widget_state(lab, True)
    try:
        lab.write_notebook(NOTEBOOK, [SETUP])
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_and_run(page, lab, NOTEBOOK)
        page.locator("article.rtkw-row", has_text="saved with the notebook").wait_for()
        page.evaluate(
            "async () => { const app = window.jupyterapp; await app.commands.execute('docmanager:save'); }"
        )
        saved = json.loads((lab.root / NOTEBOOK).read_text())
        assert WIDGET_STATE_MIME in saved["metadata"]["widgets"]
        # The saved state holds traits only, never message content.
        assert "saved with the notebook" not in json.dumps(saved["metadata"])
        run_in_kernel(page, "widget.close(); meeting.leave()")
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        context.close()
        yield
    finally:
        save_widget_state(lab, False)


def test_a_restored_panel_without_a_kernel_says_it_is_not_connected(lab, saved_notebook, page):
    # Opened, not run: the kernel that starts has never heard of this widget.
    page.goto(lab.notebook_url(NOTEBOOK))
    root = page.locator(".rtkw-root")
    root.wait_for()
    status = root.get_by_role("status")
    status.filter(has_text=CALM).wait_for()
    assert status.inner_text() == CALM
    assert root.locator(".rtkw-history-note").inner_text() == CALM + "."
    assert root.get_by_role("alert").is_hidden()
    # No message content was saved with the widget, so none is shown.
    assert root.locator("article.rtkw-row").count() == 0
