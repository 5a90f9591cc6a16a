"""What the panel tells its reader in real JupyterLab: whose message it is, where the
connection stands, and whose the keyboard is.

One notebook: Ada's panel, two participants who call themselves "Ada" and "Ada (you)", a
history long enough to scroll, and a client whose reconnect waits a minute (so the
reconnecting state stays on screen). The kernel reports to the test's sink, so cells that ran
are awaited, not polled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import LabServer, Sink, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "panel-state.ipynb"
SETUP = """
import httpx
from rtk_widget import ChatWidget, Meeting
from rtk_widget.client import Backoff

class Patient(Backoff):
    def delay(self, attempt):
        return 60.0

SINK = {sink!r}
meeting = Meeting.local(display_name="Ada", title="State test", backoff=Patient())
mallory = Meeting.local(display_name="Ada", meeting=meeting)
eve = Meeting.local(display_name="Ada (you)", meeting=meeting)
widget = ChatWidget(meeting)
for i in range(60):
    widget.send_text(f"history {{i}}")
mallory.chat.send_text_message("I am Ada too")
eve.chat.send_text_message("I am you")
httpx.post(SINK + "/report/cells", json="setup")
widget
"""
SCROLL = "widget.scroll_to(widget.messages[0].id)"
NEXT = "httpx.post(SINK + '/report/cells', json='next')"

KICK = """
from rtk_widget.client.local import local_server
from rtk_widget.client.runtime import get_runtime
_runtime = get_runtime()
_server = _runtime.run(local_server(_runtime))
_runtime.run(_server.admin.kick(meeting.meeting_id, None, [meeting.self.custom_participant_id]))
"""


@pytest.fixture(scope="module")
def state_page(lab: LabServer, sink: Sink, browser: Any) -> Iterator[Any]:
    lab.write_notebook(NOTEBOOK, [SETUP.format(sink=sink.url), SCROLL, NEXT])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_and_run(page, lab, NOTEBOOK, first_only=True)
    assert sink.wait_for("cells", lambda cell: True, timeout=120) == "setup"
    page.locator("article.rtkw-row", has_text="I am you").wait_for()
    yield page
    context.close()


def status(page: Any) -> Any:
    return page.locator(".rtkw-root [role='status']")


def test_scroll_to_from_a_cell_leaves_the_keyboard_with_the_notebook(state_page, sink):
    page = state_page
    # The user clicks into the scroll_to cell and runs it with Shift+Enter, as anyone would.
    page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.locator("article.rtkw-highlight", has_text="history 0").wait_for()
    assert page.evaluate("() => !document.activeElement.closest('.rtkw-root')")
    # The next Shift+Enter runs the next cell, not the widget's cell again.
    page.keyboard.press("Shift+Enter")
    assert sink.wait_for("cells", lambda cell: True) == "next"
    assert sink.topic("cells").empty()


def test_a_participant_named_like_you_is_told_apart(state_page):
    page = state_page
    mine = page.locator("article.rtkw-row", has_text="history 0")
    assert mine.locator(".rtkw-you").inner_text().strip().lower() == "you"
    page.locator(".rtkw-root .rtkw-scroller").evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    for text in ("I am Ada too", "I am you"):
        row = page.locator("article.rtkw-row", has_text=text)
        row.wait_for()
        assert row.locator(".rtkw-name").inner_text() in ("Ada", "Ada (you)")
        assert row.locator(".rtkw-you").count() == 0
        tag = row.locator(".rtkw-id-tag.rtkw-lookalike")
        assert tag.count() == 1
        # The mark is an element of its own, set apart from the name by its look.
        assert row.locator(".rtkw-name .rtkw-id-tag").count() == 0
    fonts = page.evaluate(
        """() => [...document.querySelectorAll('.rtkw-root .rtkw-lookalike, .rtkw-root .rtkw-name')]
             .map((el) => getComputedStyle(el).fontFamily)"""
    )
    assert len(set(fonts)) == 2
    tags = page.locator(".rtkw-lookalike").all_inner_texts()
    assert len(set(tags)) == 2, tags  # two different people, two different tags


def test_keys_on_a_message_are_the_panels_not_the_notebooks(state_page):
    page = state_page
    page.locator(".rtkw-root .rtkw-scroller").evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    last = page.locator("article.rtkw-row", has_text="I am you")
    last.click()
    active_cell = page.evaluate("() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
                                ".findIndex((c) => c.classList.contains('jp-mod-active'))")
    assert page.evaluate("() => document.activeElement.textContent.includes('I am you')")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.textContent.includes('I am Ada too')")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.textContent.includes('I am you')")
    # Keys typed on a message are the panel's: JupyterLab's command mode (where "a" inserts a
    # cell and "d d" deletes one) never sees them.
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    page.keyboard.press("a")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.textContent.includes('I am Ada too')")
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert page.evaluate("() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
                         ".findIndex((c) => c.classList.contains('jp-mod-active'))") == active_cell
    composer = page.locator(".rtkw-root textarea")
    composer.click()
    page.keyboard.type("ab")
    page.keyboard.press("ArrowUp")
    assert composer.input_value() == "ab"
    composer.fill("")
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells


def test_the_notebooks_ctrl_shortcuts_still_work_from_inside_the_panel(state_page):
    page = state_page
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("End")
    page.keyboard.type(" ")
    page.wait_for_function("(tab) => tab.classList.contains('jp-mod-dirty')", arg=tab.element_handle())
    composer = page.locator(".rtkw-root textarea")
    composer.click()
    page.keyboard.type("draft")
    page.keyboard.press("Control+s")  # JupyterLab saves the notebook; the draft stays as typed
    page.wait_for_function("(tab) => !tab.classList.contains('jp-mod-dirty')", arg=tab.element_handle())
    assert composer.input_value() == "draft"
    assert page.evaluate("() => document.activeElement.matches('.rtkw-root textarea')")
    composer.fill("")


def test_open_side_shows_the_same_chat_in_the_side_area_driven_both_ways(state_page):
    page = state_page
    run_in_kernel(page, "side = widget.open_side(title='Team chat')")
    side = page.locator(".jp-SideBar.jp-mod-right .rtkw-root, #jp-right-stack .rtkw-root")
    side.wait_for()
    assert page.locator(".jp-Notebook .rtkw-root").count() == 1
    # Python drives the side panel ...
    run_in_kernel(page, "mallory.chat.send_text_message('seen in the side area')")
    side.locator("article.rtkw-row", has_text="seen in the side area").wait_for()
    # ... and a message typed there reaches Python.
    composer = side.get_by_role("textbox", name="Message")
    composer.fill("typed in the side area")
    composer.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook .rtkw-root article')]"
        ".some((a) => a.textContent.includes('typed in the side area'))"
    )
    assert run_in_kernel(page, "", "widget.messages[-1].message") == "typed in the side area"
    run_in_kernel(page, "side.close()")
    side.wait_for(state="detached")


def test_reconnecting_shows_the_next_attempt_and_reconnect_brings_it_back(state_page):
    page = state_page
    run_in_kernel(page, "meeting.drop_connection()")
    page.wait_for_function(
        "() => /reconnecting \\(attempt 1\\); next try in \\d+ s/.test("
        "document.querySelector(\".rtkw-root [role='status']\").textContent)"
    )
    button = page.locator(".rtkw-root").get_by_role("button", name="Reconnect")
    button.click()
    page.wait_for_function(
        "() => document.querySelector(\".rtkw-root [role='status']\").textContent === 'Connected'"
    )
    assert button.is_hidden()


def test_a_failed_connection_says_why_and_offers_reconnect(state_page):
    page = state_page
    run_in_kernel(page, KICK)
    page.wait_for_function(
        "() => document.querySelector(\".rtkw-root [role='status']\").textContent"
        ".startsWith('Could not connect: ')"
    )
    assert len(status(page).inner_text()) > len("Could not connect: ")
    assert page.locator(".rtkw-root").get_by_role("button", name="Reconnect").is_visible()


def test_after_a_kernel_restart_the_old_panel_says_it_is_not_connected(state_page):
    page = state_page
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    # Looking at the panel is enough for it to check; it never keeps claiming a connection.
    page.locator(".rtkw-root .rtkw-feed-area").hover()
    page.wait_for_function(
        """() => {
          const text = document.querySelector(".rtkw-root [role='status']").textContent;
          return text.startsWith('Not connected') || text.startsWith('The kernel is not answering');
        }"""
    )
    assert "run" in status(page).inner_text()
