"""The meeting socket: request/response by envelope id, keep-alive, and reconnection.

Runs entirely on the runtime loop. A request stays pending across reconnects and
is written again, with the same envelope id, once the socket is open and the
``on_open`` hook (rejoin, catch-up) has finished; the server dedupes sends by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import random
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from rtk_widget.client.errors import (
    AuthenticationError,
    ChatError,
    ConnectionLostError,
    RequestTimeoutError,
    TLSError,
    error_from_server,
)
from rtk_widget.client.transport import Transport, tls_failure_message
from rtk_widget.wire.envelope import Frame, MalformedFrameError, decode_frame, encode_frame, parse_payload
from rtk_widget.wire.errors_pb2 import ErrorMessage
from rtk_widget.wire.events import ERROR_EVENTS, PING, PONG

logger = logging.getLogger("rtk_widget")

PING_TIMEOUT = 30.0
"""Seconds of silence after which the SDK (PING mode) closes the socket and reconnects."""
CLIENT_PING_INTERVAL = 15.0
"""On RealtimeKit's host the client sends ``"2"`` this often instead."""
DEFAULT_REQUEST_TIMEOUT = 20.0
"""The SDK's ``sendMessagePromise`` timeout."""


class ConnectionState(enum.StrEnum):
    """The socket's state, as shown by ``Meeting.connection_state``."""

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Full-jitter exponential backoff between reconnection attempts (the SDK's: 1 s base, 10 s cap)."""

    base: float = 1.0
    cap: float = 10.0
    max_attempts: int = 50

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.cap, self.base * 2 ** min(attempt - 1, 30)))


class _SocketGone(Exception):
    """Internal: the socket closed under a request that must not outlive it."""


@dataclass(eq=False)
class _Pending:
    event: int
    payload: bytes
    future: asyncio.Future[Frame]
    resend: bool
    internal: bool = False
    sent_generation: int = -1
    created: float = field(default_factory=time.monotonic)


OnOpen = Callable[[bool], Awaitable[None]]


class Connection:
    """One logical connection to a meeting socket, reconnected as needed."""

    def __init__(self, url: Callable[[], str], *, peer_id: str, on_push: Callable[[Frame], None],
                 on_open: OnOpen, on_state: Callable[[ConnectionState, int], None], client_pings: bool,
                 backoff: Backoff | None = None, request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 ping_timeout: float = PING_TIMEOUT, transport: Transport | None = None) -> None:
        self._url = url
        self._transport = transport or Transport()
        self._peer_id = peer_id
        self._on_push = on_push
        self._on_open = on_open
        self._on_state = on_state
        self._client_pings = client_pings
        self.backoff = backoff or Backoff()
        self.request_timeout = request_timeout
        self.ping_timeout = ping_timeout
        self.client_ping_interval = CLIENT_PING_INTERVAL
        self.state = ConnectionState.IDLE
        self._pending: dict[str, _Pending] = {}
        self._ws: ClientConnection | None = None
        self._generation = 0
        self._ready = asyncio.Event()
        self._opened_once = False
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._first_open: asyncio.Future[None] | None = None
        self._ids = itertools.count(1)

    # ----- lifecycle -----

    async def start(self) -> None:
        """Connect and run ``on_open``; returns when ready, raises if the first join fails."""
        loop = asyncio.get_running_loop()
        self._first_open = loop.create_future()
        self._supervisor = loop.create_task(self._supervise(), name="rtk-widget-socket")
        await self._first_open

    async def close(self) -> None:
        """Close for good: pending requests fail with :class:`ConnectionLostError`."""
        self._closing = True
        self._fail_all(ConnectionLostError("the meeting was left"))
        if self._ws is not None:
            await self._ws.close()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._set_state(ConnectionState.DISCONNECTED, 0)

    def drop(self) -> None:
        """Close the current socket without leaving (the connection reconnects); for tests and recovery."""
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._ws.close(code=4000, reason="dropped"))

    # ----- requests -----

    def new_id(self) -> str:
        """An envelope id like the SDK's ``<peerId>-<random>``."""
        return f"{self._peer_id}-{secrets.token_hex(4)}{next(self._ids):x}"

    async def request(self, event: int, payload: bytes = b"", *, request_id: str | None = None,
                      answer_within: float | None = None, resend: bool = True,
                      internal: bool = False) -> Frame:
        """Send a request and wait for the first frame with the same event and id.

        ``resend``: write it again with the same id after a reconnect (else it fails
        with :class:`ConnectionLostError` when the socket drops). ``internal``: part of
        ``on_open``, written immediately and never resent. Error replies raise the
        typed :class:`ChatError`; no answer within ``answer_within`` s raises
        :class:`RequestTimeoutError`.
        """
        if self._closing:
            raise ConnectionLostError("the meeting was left")
        request_id = request_id or self.new_id()
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        pending = _Pending(event, payload, future, resend=resend and not internal, internal=internal)
        self._pending[request_id] = pending
        try:
            if internal or self._ready.is_set():
                await self._write(request_id, pending, strict=internal)
            return await asyncio.wait_for(asyncio.shield(future), answer_within or self.request_timeout)
        except TimeoutError:
            if self.state in (ConnectionState.RECONNECTING, ConnectionState.FAILED):
                raise ConnectionLostError(f"no answer to event {event}: the connection is down") from None
            raise RequestTimeoutError(f"no answer to event {event} within "
                                      f"{answer_within or self.request_timeout:g} s") from None
        finally:
            self._pending.pop(request_id, None)

    def resolve(self, request_id: str, frame: Frame) -> bool:
        """Complete a pending request with ``frame`` (an ack matched by content); False if unknown."""
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done():
            return False
        pending.future.set_result(frame)
        return True

    async def _write(self, request_id: str, pending: _Pending, *, strict: bool) -> None:
        ws = self._ws
        if ws is None:
            if strict:
                raise _SocketGone
            return
        pending.sent_generation = self._generation
        metadata = {"TRACEPARENT": f"00-{self._peer_id.replace('-', '')}-{secrets.token_hex(8)}-01"}
        try:
            await ws.send(encode_frame(pending.event, request_id, pending.payload, metadata))
        except ConnectionClosed:
            if strict:
                raise _SocketGone from None
            # Not lost: the supervisor writes it again after reconnecting.

    async def _flush_pending(self) -> None:
        """Write every request not yet written on this socket, oldest first, then mark ready."""
        while True:
            unsent = [(rid, p) for rid, p in self._pending.items()
                      if p.sent_generation != self._generation and not p.future.done()]
            if not unsent:
                break
            for rid, pending in unsent:
                if not pending.resend and pending.sent_generation >= 0:
                    pending.future.set_exception(ConnectionLostError("the socket dropped before an answer"))
                    continue
                await self._write(rid, pending, strict=True)
        self._ready.set()

    def _fail_all(self, error: ChatError) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)

    # ----- socket loop -----

    def _set_state(self, state: ConnectionState, attempt: int) -> None:
        if state != self.state:
            self.state = state
            self._on_state(state, attempt)

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closing:
            self._set_state(ConnectionState.RECONNECTING if self._opened_once else ConnectionState.CONNECTING,
                            attempt)
            try:
                await self._session()
                attempt = 0
            except AuthenticationError as exc:
                self._give_up(exc)
                return
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, _SocketGone, ChatError) as exc:
                if not self._opened_once:
                    # The first join fails fast: a wrong URL or a refused join is not a blip.
                    error = exc if isinstance(exc, ChatError) else ConnectionLostError(
                        f"Unable to connect to the meeting socket: {exc!r}")
                    self._give_up(error)
                    return
                logger.info("rtk-widget socket dropped: %r", exc)
            if self._closing:
                return
            attempt += 1
            if attempt > self.backoff.max_attempts:
                self._give_up(ConnectionLostError(f"gave up after {attempt - 1} reconnection attempts"))
                return
            self._set_state(ConnectionState.RECONNECTING, attempt)
            await asyncio.sleep(self.backoff.delay(attempt))

    def _give_up(self, error: ChatError) -> None:
        self._closing = True
        self._fail_all(error)
        self._set_state(ConnectionState.FAILED, 0)
        if self._first_open is not None and not self._first_open.done():
            self._first_open.set_exception(error)

    async def _session(self) -> None:
        url = self._url()
        try:
            ws = await connect(url, open_timeout=5, ping_interval=None, max_size=2**24,
                               compression=None, **self._transport.websocket_options(url))
        except ssl.SSLError as exc:
            raise TLSError(tls_failure_message(url, exc)) from exc
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                status = exc.response.status_code
                raise AuthenticationError(f"the server refused the token (HTTP {status})") from None
            raise
        self._ws = ws
        self._generation += 1
        reader = asyncio.get_running_loop().create_task(self._read(ws))
        try:
            await self._on_open(self._opened_once)
            await self._flush_pending()
            self._opened_once = True
            self._set_state(ConnectionState.CONNECTED, 0)
            if self._first_open is not None and not self._first_open.done():
                self._first_open.set_result(None)
            await reader
        finally:
            self._socket_closed()
            reader.cancel()
            await ws.close()

    def _socket_closed(self) -> None:
        """Requests that must not outlive the socket fail now; the others wait for a resend."""
        self._ready.clear()
        self._ws = None
        for pending in self._pending.values():
            if not pending.resend and not pending.future.done():
                pending.future.set_exception(
                    _SocketGone() if pending.internal
                    else ConnectionLostError("the socket dropped before an answer"))

    async def _read(self, ws: ClientConnection) -> None:
        last_seen = time.monotonic()
        keepalive = asyncio.get_running_loop().create_task(self._keepalive(ws, lambda: last_seen))
        try:
            async for data in ws:
                last_seen = time.monotonic()
                if isinstance(data, str):
                    if data == PING:
                        await ws.send(PONG)
                    continue
                self._handle(data)
        finally:
            keepalive.cancel()
            if self._ws is ws:
                self._socket_closed()

    async def _keepalive(self, ws: ClientConnection, last_seen: Callable[[], float]) -> None:
        try:
            while True:
                if self._client_pings:
                    await asyncio.sleep(self.client_ping_interval)
                    await ws.send(PING)
                else:
                    await asyncio.sleep(max(0.05, self.ping_timeout / 6))
                    if time.monotonic() - last_seen() > self.ping_timeout:
                        await ws.close(code=3002, reason="Ping timeout")
                        return
        except ConnectionClosed:
            return  # the reader sees the close and the supervisor reconnects

    def _handle(self, data: bytes) -> None:
        try:
            frame = decode_frame(data)
        except MalformedFrameError:
            logger.warning("rtk-widget: ignored a malformed frame")
            return
        pending = self._pending.get(frame.id) if frame.id is not None else None
        if frame.event in ERROR_EVENTS:
            if pending is not None and not pending.future.done():
                pending.future.set_exception(_error_of(frame))
            else:
                logger.warning("rtk-widget: server error for no pending request: %s", _error_of(frame))
            return
        try:
            self._on_push(frame)
        except Exception:
            logger.exception("rtk-widget: handling event %s failed", frame.event)
        if pending is not None and pending.event == frame.event and not pending.future.done():
            pending.future.set_result(frame)


def _error_of(frame: Frame) -> ChatError:
    try:
        error = parse_payload(ErrorMessage, frame.payload)
    except MalformedFrameError:
        return ChatError(f"the server refused the request (event {frame.event})")
    code = error.code if error.HasField("code") else None
    return error_from_server(code, error.message, error.retry_after_ms)
