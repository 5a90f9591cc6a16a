"""The live panel's default media mode in a real JupyterLab: an image uploaded through the meeting
shows, loaded by the browser from the meeting's own file host; an image message another participant
posts over the raw protocol, naming the test's sink (another local port), shows as unavailable, and
the sink receives no request, from the browser or from the kernel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .lab import REPO, LabServer, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "media-origins.ipynb"
SETUP = """
import sys
sys.path.insert(0, {repo!r})  # the test suite's raw-protocol participant and its PNG
from rtk_widget import ChatWidget, Meeting
from tests.widget.support import png
from tests.widget.test_media_policy import post_image_link

meeting = Meeting.local(display_name="Ada", title="Pictures")
widget = ChatWidget(meeting)
widget
"""
MALLORY = ".rtkw-root article.rtkw-row"


@pytest.fixture
def chat_page(lab: LabServer, page: Any) -> Iterator[Any]:
    lab.write_notebook(NOTEBOOK, [SETUP.format(repo=str(REPO))])
    open_and_run(page, lab, NOTEBOOK)
    page.add_style_tag(content=".Toastify { display: none !important; }")
    page.get_by_role("textbox", name="Message").wait_for()
    yield page
    run_in_kernel(page, "widget.close(); meeting.leave()")


def test_auto_loads_the_meetings_own_image_and_never_a_link_another_participant_names(chat_page, sink):
    page = chat_page
    assert run_in_kernel(page, "", "widget.media_mode") == "auto"
    own_id, own_link = run_in_kernel(page, "sent = widget.send_image(png(4, 4))", "[sent.id, sent.link]")
    own = f".rtkw-root article[data-key='{own_id}'] img.rtkw-image"
    page.wait_for_function(f"() => document.querySelector({own!r})?.naturalWidth === 4")
    assert page.locator(own).get_attribute("src") == own_link  # the browser loaded it from the meeting's host
    trusted = run_in_kernel(page, "", "widget.trusted_media_origins")
    assert trusted == ["/".join(own_link.split("/")[:3])]  # the meeting's host, nothing else

    foreign = f"{sink.url}/live-media/{uuid.uuid4()}.png"
    run_in_kernel(page, f"post_image_link(meeting, {foreign!r})")
    mallory = page.locator(MALLORY, has_text="Mallory")
    mallory.get_by_text("Image unavailable").wait_for()
    assert mallory.locator("img").count() == 0
    path = foreign.removeprefix(sink.url)
    with sink.lock:
        assert path not in sink.hits  # neither the browser nor the kernel asked the sink
    assert run_in_kernel(page, "", "widget.trusted_media_origins") == trusted
