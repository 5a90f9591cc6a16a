"""The ``trusted_media_origins`` trait tells the panel what the kernel's media policy trusts
(real embedded server, real loopback listeners): the meeting's own host at first, then origins the
notebook trusts and the hosts of this participant's own uploads, never a host another participant
names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtk_widget import Meeting
from rtk_widget.client.local import local_participant
from rtk_widget.client.runtime import get_runtime
from rtk_widget.widget import ChatWidget
from rtk_widget.widget._media_origins import origin_text
from rtk_widget.widget._media_policy import origin_of

from .support import Watch, png
from .test_media_policy import Listener, post_image_link


@pytest.fixture
def host() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def as_set(widget: object) -> set[str]:
    return set(widget.trusted_media_origins)  # type: ignore[attr-defined]


def test_the_trait_is_the_meetings_own_host_and_follows_trust_media_origin(widget, ada, host):
    own = origin_text(origin_of(ada.api_base))  # type: ignore[arg-type]
    assert widget.trusted_media_origins == [own]
    assert own.startswith("http://127.0.0.1:")
    sent = widget.send_image(png())
    assert origin_text(origin_of(sent.link)) == own  # type: ignore[arg-type]  # the embedded server's file host
    assert widget.trusted_media_origins == [own]

    changes: list[list[str]] = []
    widget.observe(lambda change: changes.append(change["new"]), "trusted_media_origins")
    widget.trust_media_origin(f"{host.origin}/any/path?x=1")
    assert as_set(widget) == {own, host.origin} == {origin_text(o) for o in widget._port.media.origins()}
    assert len(changes) == 1
    widget.trust_media_origin(host.origin)  # already trusted: no change reaches the panel
    assert len(changes) == 1
    with pytest.raises(ValueError, match="not an http"):
        widget.trust_media_origin("javascript:alert(1)")
    assert as_set(widget) == {own, host.origin}


def test_a_link_another_participant_posts_adds_nothing(widget, ada, host):
    before = list(widget.trusted_media_origins)
    link = f"{host.origin}/tracker.png"
    post_image_link(ada, link)
    Watch(widget).wait_for(lambda ms: any(getattr(m, "link", None) == link for m in ms))
    assert widget.trusted_media_origins == before
    assert host.requests == []


def test_an_own_upload_on_another_host_adds_that_host(host):
    """This participant's upload host (RealtimeKit's is not the REST host) is trusted, as the kernel
    trusts it: posted here from a second connection of the same participant, as another device would."""
    runtime = get_runtime()
    base_url, _, token = runtime.run(local_participant(
        runtime, display_name="Ada", meeting_id=None, title="", preset_name=None))
    link = f"{host.origin}/uploads/mine.png"

    with Meeting(token, base_url=base_url) as ada:
        widget = ChatWidget(ada)
        try:
            assert host.origin not in widget.trusted_media_origins
            post_image_link(ada, link, token=token)
            Watch(widget).wait_for(lambda ms: any(getattr(m, "link", None) == link for m in ms))
            Watch(widget, "trusted_media_origins").wait_for(lambda origins: host.origin in origins)
            assert host.requests == []
        finally:
            widget.close()
