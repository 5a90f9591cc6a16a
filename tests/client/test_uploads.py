"""The SDK's upload flow, observed on a recording HTTP server on loopback: POST chat-upload with
{roomUUID, filename} and the Bearer token, then PUT the raw bytes with Content-Type and no Authorization."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from rtk_widget.client import UploadError
from rtk_widget.client.uploads import Uploader, as_image, read_source


class Recording(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []
    refuse_put = False

    def _record(self) -> bytes:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        return body

    def do_POST(self) -> None:
        self._record()
        port = self.server.server_address[1]
        answer = {"success": True, "data": {"put_location": f"http://127.0.0.1:{port}/put/x",
                                            "get_location": f"http://127.0.0.1:{port}/get/x"}}
        self._reply(200, json.dumps(answer).encode())

    def do_PUT(self) -> None:
        self._record()
        self._reply(500 if self.refuse_put else 200, b"")

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def recorder() -> Iterator[str]:
    Recording.seen = []
    Recording.refuse_put = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_upload_follows_the_sdk(recorder):
    async with httpx.AsyncClient() as http:
        uploader = Uploader(http, recorder, "meeting-1", {"Authorization": "Bearer tok"})
        link = await uploader.upload(as_image(read_source(("cat.png", b"\x89PNG\r\n\x1a\n1234"))))
    assert link.endswith("/get/x")
    (post, put) = Recording.seen
    assert (post[0], post[1]) == ("POST", "/v2/meetings/chat-upload")
    assert json.loads(post[3]) == {"roomUUID": "meeting-1", "filename": "cat.png"}
    assert post[2]["authorization"] == "Bearer tok"
    assert (put[0], put[1], put[3]) == ("PUT", "/put/x", b"\x89PNG\r\n\x1a\n1234")
    assert put[2]["content-type"] == "image/png"
    assert "authorization" not in put[2]


async def test_a_refused_put_is_an_upload_error(recorder):
    Recording.refuse_put = True
    async with httpx.AsyncClient() as http:
        uploader = Uploader(http, recorder, "meeting-1", {})
        with pytest.raises(UploadError, match="HTTP 500"):
            await uploader.upload(read_source(("a.txt", b"a")))
