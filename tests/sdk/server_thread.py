"""Run a MeetingServer on its own event-loop thread.

The SDK tests are synchronous (Playwright's sync API and the blocking Python client), so the
server gets a loop of its own; admin calls cross over with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from rtk_widget.client.transport import Transport
from rtk_widget.server import MeetingServer, ServerConfig

T = TypeVar("T")


class ServerThread:
    """A started :class:`MeetingServer` whose loop runs in a daemon thread."""

    def __init__(self, config: ServerConfig) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sdk-meeting-server", daemon=True)
        self._thread.start()
        self.server = MeetingServer(config)
        self.call(self.server.start())

    @property
    def base_uri(self) -> str:
        """The ``baseURI`` the SDK is given: REST at https://api.<it>, socket at wss://socket-edge.<it>."""
        return f"rtk.localhost:{self.server.port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def create_meeting(self, title: str) -> dict[str, Any]:
        """A new meeting (Cloudflare's Meeting dict)."""
        return self.call(self.server.admin.create_meeting(title=title))

    def add_participant(self, meeting_id: str, name: str, preset: str, user: str) -> dict[str, Any]:
        """A participant dict holding its ``token``."""
        return self.call(self.server.admin.add_participant(
            meeting_id, name=name, preset_name=preset, custom_participant_id=user))

    def drop_connections(self, meeting_id: str) -> None:
        """Close every socket of ``meeting_id`` from the server side (1012, as in a restart)."""
        async def drop() -> None:
            for connection in self.server.parts.rooms.connections(meeting_id):
                connection.close(1012, "dropped by the test")
        self.call(drop())

    def download(self, link: str) -> bytes:
        """GET a file link this server handed out (e.g. https://api.rtk.localhost:<port>/files/...).

        Through the Python client's transport: it trusts this server's certificate and dials
        *.localhost names at 127.0.0.1, as Chromium does.
        """
        async def get() -> bytes:
            async with Transport(verify=self.server.config.tls_cert or True).http_client() as client:
                response = await client.get(link)
            response.raise_for_status()
            return response.content

        return self.call(get())

    def stop(self) -> None:
        """Stop the server, then the loop and its thread."""
        try:
            self.call(self.server.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
