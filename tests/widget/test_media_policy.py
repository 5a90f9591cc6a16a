"""The kernel fetches attachments only from origins the meeting vouches for (real listeners on 127.0.0.1).

A hostile participant posts an image whose link points at another port on the viewer's
machine; the panel asks the kernel for it; the listener there must see no request.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from rtk_widget import Meeting
from rtk_widget.client.errors import UploadError
from rtk_widget.client.local import local_participant
from rtk_widget.client.runtime import get_runtime
from rtk_widget.widget._media_policy import MediaPolicy, MediaRefusedError

from ..protocol_client import ProtoClient
from .support import Watch, png, request


class Listener:
    """An HTTP server on its own 127.0.0.1 port that records every request it gets.

    ``routes`` maps a path to ``(status, headers, body)``; an ``X-No-Length`` header sends the body
    without a Content-Length (HTTP/1.0: it ends when the connection closes).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append((self.path, dict(self.headers)))
                status, headers, body = listener.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for key, value in headers.items():
                    if key != "X-No-Length":
                        self.send_header(key, value)
                if "Content-Length" not in headers and "X-No-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def other() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def post_image_link(ada: Meeting, link: str, token: str | None = None) -> None:
    """Mallory joins Ada's meeting over the raw protocol and posts an image message naming ``link``
    (with ``token``: that participant does, on a connection of its own, as from another device)."""

    async def post() -> None:
        runtime = get_runtime()
        base_url, meeting_id, mallory = await local_participant(
            runtime, display_name="Mallory", meeting_id=ada.meeting_id, title="", preset_name=None)
        client = await ProtoClient.connect(base_url, {"token": token or mallory}, meeting_id)
        try:
            await client.join()
            await client.send(1, link)
        finally:
            await client.close()

    get_runtime().run(post())


def media(widget: Any, recorder: Any, link: str) -> dict[str, Any]:
    Watch(widget).wait_for(lambda ms: any(getattr(m, "link", None) == link for m in ms))
    return recorder.reply(request(widget, "media", {"link": link}))


def test_a_link_to_another_local_port_is_refused_and_never_requested(widget, recorder, ada, listener):
    link = f"{listener.origin}/latest/meta-data/iam"
    listener.routes["/latest/meta-data/iam"] = (200, {"Content-Type": "image/png"}, png())
    post_image_link(ada, link)
    reply = media(widget, recorder, link)
    assert reply["error"]["code"] == "forbidden"
    assert reply["error"]["message"].startswith(
        "the kernel fetches attachments only from the meeting's own file hosts; refused 'http://127.0.0.1:")
    assert listener.requests == []
    # The same link once the notebook trusts that origin: the listener is real and would have answered.
    widget.trust_media_origin(listener.origin)
    allowed = media(widget, recorder, link)
    assert allowed["response"]["mime"] == "image/png"
    assert [path for path, _ in listener.requests] == ["/latest/meta-data/iam"]
    assert "authorization" not in {key.lower() for key in listener.requests[0][1]}  # no token to others


def test_a_redirect_from_an_allowed_origin_to_another_is_refused_before_following(
        widget, recorder, ada, listener, other):
    widget.trust_media_origin(listener.origin)
    listener.routes["/photo.png"] = (302, {"Location": f"{other.origin}/internal"}, b"")
    listener.routes["/moved.png"] = (301, {"Location": "/final.png"}, b"")
    listener.routes["/final.png"] = (200, {"Content-Type": "image/png"}, png())
    other.routes["/internal"] = (200, {"Content-Type": "image/png"}, png())
    post_image_link(ada, f"{listener.origin}/photo.png")
    refused = media(widget, recorder, f"{listener.origin}/photo.png")
    assert refused["error"]["code"] == "forbidden"
    assert f"refused '{other.origin}/internal'" in refused["error"]["message"]
    assert other.requests == []
    # A redirect that stays on vouched origins is followed, each hop checked.
    post_image_link(ada, f"{listener.origin}/moved.png")
    assert media(widget, recorder, f"{listener.origin}/moved.png")["response"]["mime"] == "image/png"
    assert [path for path, _ in listener.requests] == ["/photo.png", "/moved.png", "/final.png"]


def test_only_http_links_are_fetched_and_nothing_leaves_for_the_others(ada, listener):
    policy = MediaPolicy(ada)
    for link in ("javascript:alert(1)", "file:///etc/passwd", "ftp://127.0.0.1/x", "http:///nohost",
                 "http://127.0.0.1:99999/x", "data:image/png;base64,AAAA"):
        with pytest.raises(MediaRefusedError, match="the kernel fetches only http"):
            get_runtime().run(policy.fetch(link, 1000))
    with pytest.raises(MediaRefusedError, match="only from the meeting's own file hosts"):
        get_runtime().run(policy.fetch(f"{listener.origin}/x.png", 1000))
    with pytest.raises(ValueError, match="not an http"):
        policy.trust("javascript:alert(1)")
    assert listener.requests == []


def test_the_meetings_own_file_host_is_fetched_with_its_credentials(widget, recorder, ada):
    sent = widget.send_image(png())
    policy = MediaPolicy(ada)
    assert get_runtime().run(policy.fetch(sent.link, 10_000)) == (png(), "image/png")
    assert media(widget, recorder, sent.link)["response"]["mime"] == "image/png"


def test_size_cap_and_timeout_bound_a_fetch(ada, listener):
    policy = MediaPolicy(ada, timeout_s=1.0)
    policy.trust(listener.origin)
    listener.routes["/declared.bin"] = (200, {}, b"x" * 2000)
    listener.routes["/undeclared.bin"] = (200, {"X-No-Length": "1"}, b"y" * 2000)
    with pytest.raises(UploadError, match="larger than 1000 bytes"):
        get_runtime().run(policy.fetch(f"{listener.origin}/declared.bin", 1000))
    with pytest.raises(UploadError, match="larger than 1000 bytes"):
        get_runtime().run(policy.fetch(f"{listener.origin}/undeclared.bin", 1000))

    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        port = silent.getsockname()[1]
        policy.trust(f"http://127.0.0.1:{port}")

        async def attempt() -> str:
            # Caught here: a blocking runtime call reports any TimeoutError as its own wait's.
            try:
                await policy.fetch(f"http://127.0.0.1:{port}/slow.png", 1000)
            except TimeoutError as exc:
                return str(exc)
            return "fetched"

        assert get_runtime().run(attempt()) == "fetching the attachment took longer than 1 s"
    finally:
        silent.close()
