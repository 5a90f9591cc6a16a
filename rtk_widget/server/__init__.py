"""The embedded meeting server: a local RealtimeKit chat emulator.

It speaks RealtimeKit's socket protocol (protobuf envelopes over WebSocket at ``/ws``), the
REST calls the official web SDK makes, a file host for chat uploads and Cloudflare-shaped
management REST, all on one port (Starlette on uvicorn), with SQLite storage.

    server = MeetingServer(ServerConfig(port=0))     # data_dir=None: in memory
    await server.start()
    meeting = await server.admin.create_meeting(title="Notebook chat")
    ada = await server.admin.add_participant(meeting["id"], name="Ada", preset_name="group_call_host",
                                             custom_participant_id="ada")
    ...
    await server.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from rtk_widget.server.admin import Admin, ApiError
from rtk_widget.server.app import Components, asgi_app, build
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.head_limit import head_limited_protocol
from rtk_widget.server.request_deadline import request_deadline_protocol
from rtk_widget.server.ws.batched_send import BatchedSendProtocol

__all__ = ["ApiError", "MeetingServer", "ServerConfig"]

log = logging.getLogger(__name__)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers: the owner of the loop decides about signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (IPv4 or IPv6, as ``host`` resolves)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class MeetingServer:
    """One server: start it inside a running asyncio loop, stop it on the same loop."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._parts: Components | None = None
        self._uvicorn: _Uvicorn | None = None
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def parts(self) -> Components:
        if self._parts is None:
            raise RuntimeError("the server is not started")
        return self._parts

    @property
    def admin(self) -> Admin:
        return self.parts.admin

    @property
    def api_token(self) -> str:
        return self.parts.api_token

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not started")
        scheme = "https" if self.config.tls else "http"
        host = self.config.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/ws"

    @property
    def management_url(self) -> str:
        """Base of the Cloudflare-shaped management API (``.../realtime/kit/{app_id}``)."""
        return (
            f"{self.base_url}/client/v4/accounts/{self.config.account_id}/realtime/kit/{self.config.app_id}"
        )

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the server is already started")
        self._parts = await build(self.config)
        # h11 always (not httptools when installed): the head limit is applied to h11's buffer.
        http = head_limited_protocol(self.config.max_request_head_bytes)
        options: dict[str, Any] = {
            "host": self.config.host,
            "port": self.config.port,
            "http": request_deadline_protocol(self.config.request_head_timeout_s, http),
            "ws": BatchedSendProtocol,
            "ws_max_size": self.config.max_frame_bytes,
            "ws_ping_interval": 20.0,
            "ws_ping_timeout": 20.0,
            "lifespan": "off",
            "log_config": None,  # leave the host's logging alone (a Jupyter kernel, a test run)
            "log_level": self.config.log_level,
            "access_log": False,
            "timeout_graceful_shutdown": 5,
            "server_header": False,
        }
        if self.config.tls:
            options["ssl_certfile"] = str(self.config.tls_cert)
            options["ssl_keyfile"] = str(self.config.tls_key)
        config = uvicorn.Config(asgi_app(self._parts), **options)
        try:
            config.load()  # a bad certificate fails here, not later inside the serving task
            listener = _listen(self.config.host, self.config.port)
        except BaseException:
            self._parts.close()
            self._parts = None
            raise
        # Listening already: connections wait in the backlog until uvicorn accepts them.
        self.port = listener.getsockname()[1]
        self._parts.webhooks.base_url = self.base_url
        try:  # sessions a crash left live end now, their webhooks queued (Chat Replay needs the URL)
            await self._parts.sessions.end_all()
        except BaseException:
            listener.close()
            self._parts.close()
            self._parts = None
            self.port = None
            raise
        self._parts.webhooks.start()
        self._uvicorn = _Uvicorn(config)
        self._task = asyncio.create_task(self._uvicorn.serve(sockets=[listener]), name="rtk-widget-server")

    async def stop(self) -> None:
        if self._task is None or self._uvicorn is None:
            return
        self.parts.sockets.close_all()
        # Let every socket handler record its leave (sessions end) before the database closes.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.parts.rooms.idle.wait(), 5)
        try:  # nobody is connected: sessions end now, and their webhooks get a moment to go out
            await self.parts.sessions.end_all()
        except Exception:
            log.exception("ending the live sessions failed")
        await self.parts.webhooks.stop()
        self._uvicorn.should_exit = True
        try:
            await self._task
        finally:
            self._task = None
            if self._parts is not None:
                self._parts.close()
                self._parts = None

    async def __aenter__(self) -> MeetingServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
