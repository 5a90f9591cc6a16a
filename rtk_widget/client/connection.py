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
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.frames import DATA_OPCODES, Opcode
from websockets.frames import Frame as WebSocketFrame
from websockets.protocol import Event as WebSocketEvent

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
"""Seconds without a frame from the server after which the socket counts as dead (the SDK's)."""
CLIENT_PING_INTERVAL = 15.0
"""On RealtimeKit's host the client sends ``"2"`` this often (the SDK's)."""
DEFAULT_REQUEST_TIMEOUT = 20.0
"""The SDK's ``sendMessagePromise`` timeout."""
wall_clock = time.time
"""The wall clock the keepalive reads; tests replace it to play a machine that slept."""
AUTH_CLOSE_CODES = {4001: "the token was refused", 4003: "the participant or meeting is no longer allowed"}
"""Close codes by which the server says the token will not be accepted again: no point retrying."""


class ConnectionState(enum.StrEnum):
    """The socket's state, as shown by ``Meeting.connection_state``."""

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """Where a meeting's connection stands (``Meeting.connection_info``, and the payload of
    ``socketConnectionUpdate``, raised whenever any field changes).

    While ``RECONNECTING`` it is either waiting (``next_attempt_at`` set) or trying
    (``next_attempt_at`` None); ``FAILED`` means the client stopped trying:
    ``Meeting.reconnect()`` starts again.
    """

    state: ConnectionState
    attempt: int = 0
    """The reconnection attempt of the current outage, under way or next; 0 while connected."""
    next_attempt_at: float | None = None
    """While waiting to retry: when the next attempt starts, in ``time.time()`` seconds."""
    next_attempt_monotonic: float | None = None
    """The same moment on ``time.monotonic()`` (for countdowns that clock changes cannot skew)."""
    reason: str | None = None
    """Why the connection is down: the last drop or failed attempt while reconnecting, why the
    client gave up when failed; None while connecting the first time, connected or left."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """When to retry after the socket drops.

    The first attempt after a working session (one that joined the room) waits up to
    ``first`` seconds: most drops are blips, and the jitter keeps a room's clients from
    all arriving at once. Each later attempt of the same outage waits full-jitter
    exponential time (the SDK's: up to ``base`` s, doubling, at most ``cap`` s).
    ``max_attempts`` bounds one outage; None (default) keeps trying until ``leave()``.
    Refused tokens (a revoked or expired token, a removed participant) stop at once.
    """

    base: float = 1.0
    cap: float = 10.0
    max_attempts: int | None = None
    first: float = 0.1

    def __post_init__(self) -> None:
        if min(self.base, self.cap, self.first) < 0:
            raise ValueError(f"Backoff delays must not be negative: {self}")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"Backoff(max_attempts=...) must be at least 1 or None, got {self.max_attempts}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (1-based) of an outage."""
        if attempt <= 1:
            return random.uniform(0, min(self.first, self.cap))
        return random.uniform(0, min(self.cap, self.base * 2 ** min(attempt - 2, 30)))


class _SocketGone(Exception):
    """Internal: the socket closed under a request that must not outlive it."""


class _NoAnswer(Exception):
    """Internal: a request's answer did not come in time."""


def _expire(future: asyncio.Future[Frame]) -> None:
    if not future.done():
        future.set_exception(_NoAnswer())


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


class _Socket(ClientConnection):
    """A client connection that hands each whole binary message to ``on_binary`` as soon as it
    is parsed, in ``data_received``.

    The default path queues every message and wakes the reading task for it: one more loop
    round and a future per frame, on every chat push and every answer. Text frames (the
    keep-alive), fragmented messages and anything arriving while the reader still has
    messages queued take the default path, so messages are handled in the order they came.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_binary: Callable[[bytes], None] | None = None
        self.queued = 0
        """Messages handed to the reader (``async for``) that it has not read yet."""
        self._in_fragments = False

    def process_event(self, event: WebSocketEvent) -> None:
        if not isinstance(event, WebSocketFrame) or event.opcode not in DATA_OPCODES:
            super().process_event(event)
            return
        if (self.on_binary is not None and event.opcode is Opcode.BINARY and event.fin
                and not self._in_fragments and self.queued == 0):
            try:
                self.on_binary(bytes(event.data))
            except Exception:
                logger.exception("rtk-widget: handling a socket frame failed")
            return
        self._in_fragments = not event.fin
        if event.fin:
            self.queued += 1
        super().process_event(event)


class _Liveness:
    """When the socket last heard from the server."""

    def __init__(self) -> None:
        self.monotonic = self.wall = 0.0
        self.heard()

    def heard(self) -> None:
        self.monotonic, self.wall = time.monotonic(), wall_clock()

    def silence(self) -> float:
        # The monotonic clock stops while a laptop sleeps and the wall clock does not: after a
        # wake-up the silence is known at the next check, not a full ping timeout later.
        return max(time.monotonic() - self.monotonic, wall_clock() - self.wall)


class Connection:
    """One logical connection to a meeting socket, reconnected as needed."""

    def __init__(self, url: Callable[[], str], *, peer_id: str, on_push: Callable[[Frame], None],
                 on_open: OnOpen, on_state: Callable[[ConnectionInfo], None], client_pings: bool,
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
        self.info = ConnectionInfo(ConnectionState.IDLE)
        self._pending: dict[str, _Pending] = {}
        self._ws: _Socket | None = None
        self._generation = 0
        self._joins = 0
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._opened_once = False
        self._left = False
        self._server_answers_pings = False
        self._drop_reason: str | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._first_open: asyncio.Future[None] | None = None
        self._attempt_waiters: list[asyncio.Future[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    @property
    def state(self) -> ConnectionState:
        """The current state (``info.state``)."""
        return self.info.state

    # ----- lifecycle -----

    async def start(self) -> None:
        """Connect and run ``on_open``; returns when ready, raises if the first join fails."""
        loop = asyncio.get_running_loop()
        self._first_open = loop.create_future()
        self._supervisor = loop.create_task(self._supervise(), name="rtk-widget-socket")
        await self._first_open

    async def close(self) -> None:
        """Close for good: pending requests fail with :class:`ConnectionLostError`."""
        self._left = True
        left = ConnectionLostError("the meeting was left")
        self._fail_all(left)
        self._settle_attempt(left)
        if self._ws is not None:
            await self._ws.close()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._publish(ConnectionInfo(ConnectionState.DISCONNECTED))

    def drop(self) -> None:
        """Close the current socket without leaving (the connection reconnects); for tests and recovery."""
        if self._ws is not None:
            self._drop_reason = "the connection was dropped on purpose (drop_connection)"
            self._in_background(self._ws.close(code=4000, reason="dropped"))

    async def reconnect(self) -> None:
        """Try to connect now: start again after FAILED, or end a RECONNECTING wait early.

        Returns once connected (at once if already connected); raises the error of this
        attempt if it fails (while RECONNECTING the client keeps retrying afterwards).
        """
        if self._left:
            raise ConnectionLostError("the meeting was left")
        if self.state is ConnectionState.CONNECTED:
            return
        outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._attempt_waiters.append(outcome)
        try:
            if self._supervisor is None or self._supervisor.done():
                self._supervisor = asyncio.get_running_loop().create_task(
                    self._supervise(), name="rtk-widget-socket")
            else:
                self._wake.set()
            await outcome
        finally:
            if outcome in self._attempt_waiters:
                self._attempt_waiters.remove(outcome)

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
        if self._left:
            raise ConnectionLostError("the meeting was left")
        if self.state is ConnectionState.FAILED:
            raise ConnectionLostError(f"the connection failed ({self.info.reason}); "
                                      "meeting.reconnect() tries again")
        request_id = request_id or self.new_id()
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        pending = _Pending(event, payload, future, resend=resend and not internal, internal=internal)
        self._pending[request_id] = pending
        timer: asyncio.TimerHandle | None = None
        try:
            if internal or self._ready.is_set():
                await self._write(request_id, pending, strict=internal)
            # One timer on the future itself: wait_for(shield(...)) cost three more loop rounds per answer.
            timer = future.get_loop().call_later(answer_within or self.request_timeout, _expire, future)
            return await future
        except _NoAnswer:
            if self.state in (ConnectionState.RECONNECTING, ConnectionState.FAILED):
                raise ConnectionLostError(f"no answer to event {event}: the connection is down") from None
            raise RequestTimeoutError(f"no answer to event {event} within "
                                      f"{answer_within or self.request_timeout:g} s") from None
        finally:
            if timer is not None:
                timer.cancel()
            self._pending.pop(request_id, None)
            if future.done() and not future.cancelled():
                # Mark it retrieved: when the write itself failed, nobody awaited the failure set here.
                future.exception()

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

    def _publish(self, info: ConnectionInfo) -> None:
        if info != self.info:
            self.info = info
            self._on_state(info)

    def _settle_attempt(self, error: ChatError | None) -> None:
        """Answer every ``reconnect()`` waiting for the outcome of the attempt that just ended."""
        waiters, self._attempt_waiters = self._attempt_waiters, []
        for waiter in waiters:
            if not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)

    async def _supervise(self) -> None:
        attempt = 1 if self._opened_once else 0  # in this outage; a session that joins ends it
        reason: str | None = self.info.reason if self.state is ConnectionState.FAILED else None
        while not self._left:
            state = ConnectionState.RECONNECTING if self._opened_once else ConnectionState.CONNECTING
            self._publish(ConnectionInfo(state, attempt, reason=reason))
            joins = self._joins
            try:
                reason = await self._session()
                failure: ChatError = ConnectionLostError(reason)
            except AuthenticationError as exc:
                self._give_up(exc, str(exc))
                return
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, _SocketGone, ChatError) as exc:
                reason = _describe(exc)
                failure = exc if isinstance(exc, ChatError) else ConnectionLostError(
                    f"Unable to connect to the meeting socket: {reason}")
                if not self._opened_once:
                    # The first join fails fast: a wrong URL or a refused join is not a blip.
                    self._give_up(failure, reason)
                    return
            if self._left:
                return
            logger.info("rtk-widget socket dropped: %s", reason)
            if self._joins != joins:
                attempt = 0
            else:
                self._settle_attempt(failure)
            attempt += 1
            limit = self.backoff.max_attempts
            if limit is not None and attempt > limit:
                self._give_up(ConnectionLostError(f"gave up after {limit} reconnection attempts: {reason}"),
                              f"gave up after {limit} reconnection attempts; last: {reason}")
                return
            delay = self.backoff.delay(attempt)
            self._publish(ConnectionInfo(ConnectionState.RECONNECTING, attempt, time.time() + delay,
                                         time.monotonic() + delay, reason))
            await self._pause(delay)

    async def _pause(self, delay: float) -> None:
        """Wait ``delay`` s before the next attempt, or less if ``reconnect()`` asks."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    def _give_up(self, error: ChatError, reason: str) -> None:
        self._fail_all(error)
        self._settle_attempt(error)
        self._publish(ConnectionInfo(ConnectionState.FAILED, reason=reason))
        if self._first_open is not None and not self._first_open.done():
            self._first_open.set_exception(error)

    async def _session(self) -> str:
        """One socket from opening to its end; returns why it ended.

        Raises :class:`AuthenticationError` when the server refuses the token (HTTP 401/403
        on the upgrade, or a 4001/4003 close), else the error that stopped the opening.
        """
        url = self._url()
        try:
            ws = await connect(url, open_timeout=5, ping_interval=None, close_timeout=2, max_size=2**24,
                               compression=None, create_connection=_Socket,
                               **self._transport.websocket_options(url))
        except ssl.SSLError as exc:
            raise TLSError(tls_failure_message(url, exc)) from exc
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                status = exc.response.status_code
                raise AuthenticationError(f"the server refused the token (HTTP {status})") from None
            raise
        assert isinstance(ws, _Socket)  # connect() builds what create_connection names
        self._ws = ws
        self._generation += 1
        self._drop_reason = None
        reader = asyncio.get_running_loop().create_task(self._read(ws))
        try:
            try:
                await self._on_open(self._opened_once)
                await self._flush_pending()
            except (_SocketGone, ChatError) as exc:
                _raise_if_refused(ws)
                if isinstance(exc, _SocketGone):
                    raise ConnectionLostError(f"{_closed_because(ws)} while joining") from None
                raise
            self._opened_once = True
            self._joins += 1
            self._publish(ConnectionInfo(ConnectionState.CONNECTED))
            self._settle_attempt(None)
            if self._first_open is not None and not self._first_open.done():
                self._first_open.set_result(None)
            with contextlib.suppress(ConnectionClosed):
                await reader
        finally:
            self._socket_closed()
            reader.cancel()
            await ws.close()
        _raise_if_refused(ws)
        return self._drop_reason or _closed_because(ws)

    def _socket_closed(self) -> None:
        """Requests that must not outlive the socket fail now; the others wait for a resend."""
        self._ready.clear()
        self._ws = None
        for pending in self._pending.values():
            if not pending.resend and not pending.future.done():
                pending.future.set_exception(
                    _SocketGone() if pending.internal
                    else ConnectionLostError("the socket dropped before an answer"))

    async def _read(self, ws: _Socket) -> None:
        liveness = _Liveness()
        keepalive = asyncio.get_running_loop().create_task(self._keepalive(ws, liveness))

        def on_binary(data: bytes) -> None:
            liveness.heard()
            self._handle(data)

        ws.on_binary = on_binary
        try:
            async for data in ws:
                ws.queued -= 1
                liveness.heard()
                if isinstance(data, str):
                    if data == PING:
                        await ws.send(PONG)
                    elif data == PONG:
                        self._server_answers_pings = True
                    continue
                self._handle(data)
        finally:
            ws.on_binary = None
            keepalive.cancel()
            if self._ws is ws:
                self._socket_closed()

    async def _keepalive(self, ws: ClientConnection, liveness: _Liveness) -> None:
        """Find a dead link within ``ping_timeout``, even one that fails silently.

        After half the timeout of silence the client asks with a ``"2"`` (an rtk-widget server
        answers ``"3"``); on RealtimeKit's host it also pings every ``client_ping_interval``
        like the SDK. The timeout itself applies on a PING-mode socket, and on RealtimeKit's
        once its server has answered a ping (else a quiet but healthy socket would be cut).
        A dead socket is aborted, not closed: a closing handshake cannot cross a dead link.
        """
        check_every = max(0.02, self.ping_timeout / 8)
        next_client_ping = time.monotonic() + self.client_ping_interval
        probed_silence_of = -1.0
        while True:
            await asyncio.sleep(check_every)
            silence = liveness.silence()
            if silence >= self.ping_timeout and (not self._client_pings or self._server_answers_pings):
                self._drop_reason = (f"no answer from the server for {silence:.1f} s "
                                     f"(ping timeout {self.ping_timeout:g} s)")
                ws.transport.abort()
                return
            if self._client_pings and time.monotonic() >= next_client_ping:
                next_client_ping = time.monotonic() + self.client_ping_interval
                self._in_background(ws.send(PING))
            elif silence >= self.ping_timeout / 2 and probed_silence_of != liveness.monotonic:
                probed_silence_of = liveness.monotonic
                self._in_background(ws.send(PING))

    def _in_background(self, work: Awaitable[None]) -> None:
        """Run a socket write without waiting for it (a write into a dead link may block)."""
        async def quietly() -> None:
            with contextlib.suppress(ConnectionClosed):
                await work

        task = asyncio.get_running_loop().create_task(quietly())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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


def _raise_if_refused(ws: ClientConnection) -> None:
    """Raise :class:`AuthenticationError` if the server closed ``ws`` refusing the token."""
    received = ws.protocol.close_rcvd
    if received is not None and received.code in AUTH_CLOSE_CODES:
        detail = f": {received.reason}" if received.reason else ""
        raise AuthenticationError(f"{AUTH_CLOSE_CODES[received.code]} (close code {received.code}{detail})")


def _closed_because(ws: ClientConnection) -> str:
    received = ws.protocol.close_rcvd
    if received is None:
        return "the connection was cut (no close frame)"
    detail = f": {received.reason}" if received.reason else ""
    return f"the server closed the connection (code {received.code}{detail})"


def _describe(exc: BaseException) -> str:
    """A short reason for a failed attempt, for ``ConnectionInfo.reason``."""
    if isinstance(exc, InvalidStatus):
        return f"the server refused the connection (HTTP {exc.response.status_code})"
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    if isinstance(exc, OSError):
        return f"cannot reach the server ({exc.strerror or exc})"
    if isinstance(exc, _SocketGone | ConnectionClosed):
        return "the connection was cut"
    return str(exc) or type(exc).__name__


def _error_of(frame: Frame) -> ChatError:
    try:
        error = parse_payload(ErrorMessage, frame.payload)
    except MalformedFrameError:
        return ChatError(f"the server refused the request (event {frame.event})")
    code = error.code if error.HasField("code") else None
    return error_from_server(code, error.message, error.retry_after_ms)
