"""ChatWidget in real JupyterLab, chatting with the official RealtimeKit web SDK.

One meeting on our TLS server (as tests/sdk runs it): Ada is the notebook's kernel, joined with
the Python client over HTTPS/WSS and shown as a ChatWidget in JupyterLab; Sam is the official
``@cloudflare/realtimekit`` SDK in a page of another browser context. Everything is awaited on
the panel's DOM or on the SDK's recorded events, never on timers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rtk_widget.client import Meeting
from tests.sdk import conftest as sdk_fixtures
from tests.sdk.participant import OpenPage, SdkParticipant
from tests.sdk.room import join, unique
from tests.sdk.server_thread import ServerThread

from .lab import LabServer, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser, pytest.mark.sdk]

# The SDK tests' fixtures, reused as they are (pytest finds fixtures by module attribute name);
# their pages share this folder's Chromium and trust the test certificate per browser context.
sdk_bundle = sdk_fixtures.sdk_bundle
tls_pair = sdk_fixtures.tls_pair
app_server = sdk_fixtures.app_server
sdk_server = sdk_fixtures.sdk_server
open_sdk_page = sdk_fixtures.open_sdk_page

NOTEBOOK = "sdk-chat.ipynb"
WAIT_MS = 15_000
# The kernel trusts exactly the tests' self-signed certificate (``verify=``).
SETUP = """
from rtk_widget import ChatWidget, Meeting

meeting = Meeting({token!r}, base_url={base_url!r}, verify={cert!r})
meeting.join()
widget = ChatWidget(meeting)
widget
"""


@dataclass
class SdkLab:
    """Ada's panel in JupyterLab (``panel``) and Sam, the official SDK, in the same meeting."""

    panel: Any
    sdk: SdkParticipant
    ada_user_id: str
    meeting_id: str
    server: ServerThread
    cert: Path


@pytest.fixture(scope="module")
def sdk_lab(
    lab: LabServer,
    browser: Any,
    sdk_server: ServerThread,
    open_sdk_page: OpenPage,
    tls_pair: tuple[Path, Path],
) -> Iterator[SdkLab]:
    meeting_id = sdk_server.create_meeting("Lab and SDK")["id"]
    ada = sdk_server.add_participant(meeting_id, name="Ada", preset="group_call_host", user="ada")
    sam = join(sdk_server, open_sdk_page, meeting_id, "sam", "livestream_host")

    setup = SETUP.format(cert=str(tls_pair[0]), token=ada["token"], base_url=base_url(sdk_server))
    lab.write_notebook(NOTEBOOK, [setup])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    panel = context.new_page()
    panel.set_default_timeout(30_000)
    try:
        open_and_run(panel, lab, NOTEBOOK)
        panel.get_by_role("textbox", name="Message").wait_for()
        ada_user_id = run_in_kernel(panel, "", "meeting.self.user_id")
        sam.wait_peer(ada_user_id)
        yield SdkLab(panel, sam, ada_user_id, meeting_id, sdk_server, tls_pair[0])
        run_in_kernel(panel, "widget.close(); meeting.leave()")
    finally:
        panel.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
        context.close()


def base_url(server: ServerThread) -> str:
    """The TLS server as the Python client dials it (Python cannot resolve *.rtk.localhost)."""
    return f"https://127.0.0.1:{server.server.port}"


ROW_WATCH = """(text) => {
  const rows = () =>
    [...document.querySelectorAll("article.rtkw-row")].filter((a) => a.textContent.includes(text));
  window.rtkwMostRows = 0;
  new MutationObserver(() => {
    window.rtkwMostRows = Math.max(window.rtkwMostRows, rows().length);
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def row(page: Any, text: str) -> Any:
    return page.locator("article.rtkw-row", has_text=text)


def test_a_message_from_the_sdk_appears_in_the_panel(sdk_lab: SdkLab) -> None:
    text = unique("hello from the SDK")
    sdk_lab.sdk.call("sendText", text)
    message = row(sdk_lab.panel, text)
    message.wait_for()
    assert message.locator(".rtkw-name").inner_text() == "Sam"
    assert message.locator(".rtkw-private").count() == 0


def test_a_message_typed_in_the_panel_reaches_the_sdk(sdk_lab: SdkLab) -> None:
    text = unique("typed in JupyterLab")
    composer = sdk_lab.panel.get_by_role("textbox", name="Message")
    composer.fill(text)
    # Every DOM state the browser could paint is seen by a MutationObserver: count the rows for
    # this text in each, so a pending row shown next to its delivered message fails (D9, docs/reliability.md).
    sdk_lab.panel.evaluate(ROW_WATCH, text)
    composer.press("Enter")
    received = sdk_lab.sdk.added({"message": text})
    assert received["userId"] == sdk_lab.ada_user_id
    assert received["displayName"] == "Ada"
    assert received["targetUserIds"] == []
    assert [m["id"] for m in sdk_lab.sdk.evaluate("chatMessages") if m["message"] == text] == [received["id"]]
    delivered = sdk_lab.panel.locator("article.rtkw-row:not(.rtkw-pending)", has_text=text)
    expect(delivered).to_have_count(1, timeout=WAIT_MS)
    expect(row(sdk_lab.panel, text)).to_have_count(1, timeout=WAIT_MS)
    assert sdk_lab.panel.evaluate("window.rtkwMostRows") == 1


def test_a_private_message_from_the_sdk_shows_its_private_mark(sdk_lab: SdkLab) -> None:
    text = unique("just for Ada")
    ada_peer = sdk_lab.sdk.wait_peer(sdk_lab.ada_user_id)
    sdk_lab.sdk.call("sendText", text, [ada_peer])
    message = row(sdk_lab.panel, text)
    message.wait_for()
    assert message.locator(".rtkw-name").inner_text() == "Sam"
    assert message.locator(".rtkw-private").inner_text() == "to you"


def test_a_message_from_another_python_participant_reaches_the_panel_and_the_sdk(sdk_lab: SdkLab) -> None:
    token = sdk_lab.server.add_participant(
        sdk_lab.meeting_id, name="Py", preset="group_call_participant", user="py"
    )["token"]
    py = Meeting(token, base_url=base_url(sdk_lab.server), verify=sdk_lab.cert)
    py.join()
    try:
        text = unique("hello from Python")
        sent = py.chat.send_text_message(text)
        message = row(sdk_lab.panel, text)
        message.wait_for()
        assert message.locator(".rtkw-name").inner_text() == "Py"
        assert sdk_lab.sdk.added({"message": text})["id"] == sent.id
    finally:
        py.leave()
