"""A replay's attachments go through the kernel under the live panel's media policy, with the
replay's own server as the origin it vouches for (real servers and listeners on 127.0.0.1).

A session on the embedded server holds Ada's image (on the server's file host) and Mallory's
image naming another local port; replayed from its Chat Replay URL, the first is fetched and
the second refused before any request reaches that port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloudflare import Cloudflare

from rtk_widget import Meeting
from rtk_widget.client.export import write_replay_csv
from rtk_widget.client.local import local_server
from rtk_widget.client.messages import ImageMessage
from rtk_widget.client.runtime import get_runtime
from rtk_widget.cloudflare import list_sessions
from rtk_widget.widget import ReplayWidget

from .support import Recorder, png, request
from .test_media_policy import Listener, post_image_link


@pytest.fixture
def where() -> Iterator[dict[str, Any]]:
    server = get_runtime().run(local_server(get_runtime()))
    client = Cloudflare(api_token=server.api_token, base_url=f"{server.base_url}/client/v4", max_retries=0)
    yield {"client": client, "account_id": server.config.account_id, "app_id": server.config.app_id}
    client.close()


def media(replay: ReplayWidget, recorder: Recorder, link: str) -> tuple[dict[str, Any], list[bytes]]:
    request_id = request(replay, "media", {"link": link})
    return recorder.wait(lambda c: c.get("id") == request_id)


def image_links(replay: ReplayWidget) -> list[str]:
    return [m.link for m in replay.session if isinstance(m, ImageMessage)]


def test_a_replay_fetches_its_servers_images_and_refuses_other_hosts(
        ada: Meeting, where: dict[str, Any], tmp_path: Path):
    listener = Listener()  # an HTTP server on another local port, recording every request
    try:
        replay_the_session(ada, where, listener, tmp_path)
    finally:
        listener.close()


def replay_the_session(ada: Meeting, where: dict[str, Any], listener: Listener, tmp_path: Path) -> None:
    picture = png(4, 4)
    own = ada.chat.send_image_message(picture, name="dot.png")
    foreign = f"{listener.origin}/latest/meta-data/iam"
    listener.routes["/latest/meta-data/iam"] = (200, {"Content-Type": "image/png"}, png())
    post_image_link(ada, foreign)
    (session,) = list_sessions(ada.meeting_id, **where)
    recorder = Recorder()
    replay = ReplayWidget.from_session(session.id, **where)
    replay.send = recorder  # type: ignore[method-assign]
    try:
        assert replay.media_mode == "kernel"  # the panel asks the kernel; the browser loads no link
        assert image_links(replay) == [own.link, foreign]  # type: ignore[attr-defined]

        fetched, buffers = media(replay, recorder, own.link)  # type: ignore[attr-defined]
        assert fetched["response"]["mime"] == "image/png"
        assert bytes(buffers[0]) == picture

        refused, _ = media(replay, recorder, foreign)
        assert refused["error"]["code"] == "forbidden"
        assert refused["error"]["message"].startswith(
            "the kernel fetches attachments only from the meeting's own file hosts; refused 'http://127.0.0.1:")
        assert listener.requests == []
        # Trusted by the notebook, the same link is fetched: the listener is real and answers.
        replay.trust_media_origin(listener.origin)
        assert media(replay, recorder, foreign)[0]["response"]["mime"] == "image/png"
        assert [path for path, _ in listener.requests] == ["/latest/meta-data/iam"]
    finally:
        replay.close()

    # The same session from a file vouches for no server: even the image on it is refused.
    path = write_replay_csv(replay.session, tmp_path / "chat.csv", session_id=session.id)
    offline = ReplayWidget(path)
    offline.send = recorder  # type: ignore[method-assign]
    try:
        refused, _ = media(offline, recorder, own.link)  # type: ignore[attr-defined]
        assert refused["error"]["code"] == "forbidden"
    finally:
        offline.close()
