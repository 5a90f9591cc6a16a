"""The socket at ``/ws``: RealtimeKit's protobuf envelopes over a binary WebSocket.

Handshake: the Origin is checked before the upgrade (no Origin, loopback, ``*.localhost`` and
configured origins pass; anything else is refused with HTTP 403, against cross-site WebSocket
hijacking). The token is checked right after it, before any room data is sent: a bad one
closes the socket with code 4001 and the reason (4003 for a deleted participant or an
inactive meeting). Requests on one socket are handled in order; pushes to others go through
each peer's own outbound queue (rooms.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from rtk_widget.server.admin import Revoke
from rtk_widget.server.auth import TokenError, TokenIssuer
from rtk_widget.server.chat.payloads import RequestRefused
from rtk_widget.server.chat.service import ChatService
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.identity import Refused, authenticate
from rtk_widget.server.session_lifecycle import SessionLifecycle
from rtk_widget.server.store import admin as aq
from rtk_widget.server.store.db import Database, on_queued
from rtk_widget.server.ws.batched_send import frame_writer
from rtk_widget.server.ws.chat_events import ChatEvents, Handler
from rtk_widget.server.ws.eager import start_eagerly
from rtk_widget.server.ws.inbound import InboundFrames
from rtk_widget.server.ws.origins import origin_allowed
from rtk_widget.server.ws.outbox import FrameWriter
from rtk_widget.server.ws.room_events import RoomEvents
from rtk_widget.server.ws.rooms import Connection, Rooms
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import (
    Frame,
    MalformedFrameError,
    decode_frame,
    encode_error,
    encode_frame,
)
from rtk_widget.wire.events import PING, PONG, Event

log = logging.getLogger(__name__)

PIPELINED = frozenset(
    {
        Event.SEND_MESSAGE_TO_ROOM,
        Event.SEND_MESSAGE_TO_PEERS,
        Event.EDIT_MESSAGE,
        Event.DELETE_MESSAGE,
        Event.PIN_MESSAGE,
    }
)
CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_REPLACED = 4009
CLOSE_TOO_MANY = 4029
MAX_ID_LEN = 128


class SocketHandler:
    def __init__(
        self,
        config: ServerConfig,
        db: Database,
        rooms: Rooms,
        chat: ChatService,
        tokens: TokenIssuer,
        *,
        sessions: SessionLifecycle,
    ) -> None:
        self.config = config
        self.db = db
        self.rooms = rooms
        self.chat = chat
        self.tokens = tokens
        self.sessions = sessions
        self._per_ip: Counter[str] = Counter()  # open sockets by client address
        self._released = asyncio.Condition()  # notified whenever a socket is let go
        self._token_of: dict[Connection, str] = {}  # what a kick revokes
        self.room_events = RoomEvents(db, rooms, sessions)
        self.handlers: dict[int, Handler] = {
            **self.room_events.handlers(),
            **ChatEvents(chat).handlers(),
        }

    # -- connection lifecycle ----------------------------------------------------------------

    async def __call__(self, websocket: WebSocket) -> None:
        if not origin_allowed(websocket.headers.get("origin"), self.config.allowed_origins):
            await websocket.close(code=1008)  # before accept: an HTTP 403 to the upgrade
            return
        address = websocket.client.host if websocket.client else ""
        if self._per_ip[address] >= self.config.max_connections_per_ip:
            await websocket.accept()
            await websocket.close(CLOSE_TOO_MANY, "too many connections from this address")
            return
        self._per_ip[address] += 1  # counted before any await, so a burst cannot overshoot
        try:
            await self._serve(websocket)
        finally:
            self._per_ip[address] -= 1
            if not self._per_ip[address]:
                del self._per_ip[address]
            async with self._released:
                self._released.notify_all()

    async def _serve(self, websocket: WebSocket) -> None:
        params = websocket.query_params
        writer = frame_writer(websocket)
        await websocket.accept()
        try:
            identity = await authenticate(self.db, self.tokens, params.get("authToken"), params.get("roomID"))
        except TokenError as exc:
            await websocket.close(CLOSE_UNAUTHORIZED, str(exc)[:120])
            return
        except Refused as exc:
            await websocket.close(CLOSE_FORBIDDEN, str(exc)[:120])
            return
        peer_id = (params.get("peerID") or "")[:MAX_ID_LEN] or str(uuid.uuid4())
        others = [
            c
            for c in self.rooms.of_participant(identity.meeting_id, identity.user_id)
            if c.peer_id != peer_id
        ]
        holder = self.rooms.get(identity.meeting_id, peer_id)
        if holder is not None and holder.user_id != identity.user_id:
            await websocket.close(CLOSE_FORBIDDEN, "peer id in use by another participant")
            return
        if len(others) >= self.config.max_connections_per_participant:
            await websocket.close(CLOSE_TOO_MANY, "too many connections for this participant")
            return
        conn = Connection(
            identity.meeting_id,
            peer_id,
            identity.participant,
            identity.preset,
            self.config.send_queue_frames,
            self.rooms.flushes,
            expires_at=identity.expires_at,
        )
        self.rooms.opened(conn)
        self._token_of[conn] = params.get("authToken") or ""
        self._register(conn, params.get("oldPeerID"))
        drain = asyncio.create_task(self._drain(websocket, conn, writer))
        pinger = asyncio.create_task(self._ping_loop(conn))
        writer.set_frame_sink(InboundFrames(conn, self.dispatch, self.rooms.flushes))
        reader = asyncio.create_task(self._read_loop(websocket, conn, writer))
        ended = asyncio.create_task(conn.ended.wait())
        try:  # until the peer goes, or the server closes it (a slow peer's writer may be stuck)
            await asyncio.wait({reader, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            writer.set_frame_sink(None)
            pinger.cancel()
            ended.cancel()
            # Never cut a request short: its change may be committed, pushes due.
            if conn.inflight is not None:
                await asyncio.wait({conn.inflight}, timeout=10)
            if conn.dispatching or conn.pending:
                await asyncio.wait({reader}, timeout=10)
            reader.cancel()
            try:
                await self._disconnected(conn)
            finally:
                conn.close(1000, "bye")
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(drain, 2)
                drain.cancel()
                self.rooms.finished(conn)
                self._token_of.pop(conn, None)

    def _register(self, conn: Connection, old_peer_id: str | None) -> None:
        if old_peer_id and old_peer_id != conn.peer_id:
            stale = self.rooms.get(conn.meeting_id, old_peer_id)
            if stale is not None and stale.user_id == conn.user_id:
                stale.close(CLOSE_REPLACED, "replaced by a reconnection")
        replaced = self.rooms.add(conn)
        if replaced is not None:  # the same peer reconnected: it keeps its place in the room
            conn.joined, conn.session_id = replaced.joined, replaced.session_id
            replaced.joined, replaced.session_id = False, None
            replaced.close(CLOSE_REPLACED, "replaced by a new connection")

    async def _disconnected(self, conn: Connection) -> None:
        current = self.rooms.get(conn.meeting_id, conn.peer_id)
        if current is conn:
            self.rooms.remove(conn)
        if conn.joined:
            await self.room_events.leave_room(conn)

    async def _read_loop(self, websocket: WebSocket, conn: Connection, socket: FrameWriter) -> None:
        try:
            while not conn.closed:
                if not socket.has_unread():  # about to wait: what this socket's requests caused goes out now
                    self.rooms.flushes.flush_now()
                try:
                    message = await websocket.receive()
                except (WebSocketDisconnect, RuntimeError):
                    return
                if message["type"] == "websocket.disconnect":
                    return
                data = message.get("bytes")
                if data is not None:
                    conn.dispatching = True
                    try:
                        await self._after_inflight(conn)  # this one came in while that one waited
                        await self.dispatch(conn, data)
                    finally:
                        conn.dispatching = False
                elif message.get("text") == PING:
                    conn.send(PONG)
                # "3" (pong) and other text frames: keep-alive only, nothing to answer
        finally:
            await self._after_inflight(conn)
            await self._settle(conn)  # a leave is pushed after the changes made before it

    @staticmethod
    async def _after_inflight(conn: Connection) -> None:
        """Wait for the request handled as it came in, if it still waits."""
        if conn.inflight is not None:
            await asyncio.wait({conn.inflight})

    @staticmethod
    async def _settle(conn: Connection) -> None:
        """Wait for this connection's chat writes still committing."""
        while conn.pending:
            await asyncio.wait(set(conn.pending))

    async def _drain(self, websocket: WebSocket, conn: Connection, writer: FrameWriter) -> None:
        """Write what the outbox could not write at once (the peer's transport was full), and
        finally close the socket."""
        try:
            await conn.outbox.drain(writer, websocket.close)
        except Exception:  # the peer went away; stop reading too
            conn.closed = True
            conn.ended.set()
            with contextlib.suppress(Exception):
                await websocket.close(1011)

    async def _ping_loop(self, conn: Connection) -> None:
        while not conn.closed:
            await asyncio.sleep(self.config.ping_interval_s)
            if conn.expires_at and time.time() >= conn.expires_at:
                conn.close(CLOSE_UNAUTHORIZED, "token expired")
                return
            conn.send(PING)

    # -- dispatch ----------------------------------------------------------------------------

    async def dispatch(self, conn: Connection, data: bytes) -> None:
        """Handle one frame. Chat writes are pipelined: the next frame is read as soon as this
        one's transaction is queued (commit order stays frame order), while it commits and is
        answered in the background, started eagerly so that a write queued without waiting costs
        no turn of the loop (an in-memory database commits as it is called, so there a write is
        simply awaited). Any other request first waits for those to finish, so
        replies keep their order and reads see the writes before them."""
        try:
            frame = decode_frame(data)
        except MalformedFrameError as exc:
            conn.send(encode_error(None, ErrorCode.MALFORMED, str(exc)[:200]))
            return
        handler = self.handlers.get(frame.event)
        if handler is None:
            await self._settle(conn)
            conn.send(encode_frame(frame.event, frame.id))
            return
        # An in-memory write commits as it is called: nothing to overlap, and a task would only
        # cost a turn of the loop.
        if frame.event not in PIPELINED or self.db.writes_inline:
            await self._settle(conn)
            await self._run(conn, frame, handler)
            return
        queued = asyncio.Event()
        running = start_eagerly(self._run(conn, frame, handler, queued))
        if not running.done():
            conn.pending.add(running)
            running.add_done_callback(conn.pending.discard)
        await queued.wait()  # at once when the write was queued in the eager start

    async def _run(
        self, conn: Connection, frame: Frame, handler: Handler, queued: asyncio.Event | None = None
    ) -> None:
        """Run a handler and send its reply, or the error that refuses the request."""
        if queued is not None:
            on_queued.set(queued.set)
        try:
            reply = await handler(conn, frame)
        except MalformedFrameError as exc:
            conn.send(encode_error(frame.id, ErrorCode.MALFORMED, str(exc)[:200]))
        except RequestRefused as exc:
            conn.send(encode_error(frame.id, exc.code, exc.message, exc.retry_after_ms))
        except Exception:
            log.exception("event %s failed", frame.event)
            conn.send(encode_error(frame.id, ErrorCode.INTERNAL, "internal error; nothing was changed"))
        else:
            if reply is not None:
                conn.send(encode_frame(frame.event, frame.id, reply))
        finally:
            if queued is not None:
                queued.set()  # also when it failed before writing anything

    # -- administration ----------------------------------------------------------------------

    async def participant_changed(self, meeting_id: str, participant_id: str) -> None:
        """After a delete or preset change: drop or refresh that participant's live peers."""
        conns = self.rooms.of_participant(meeting_id, participant_id)
        if not conns:
            return

        def load(c: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]] | None:
            row = aq.get_participant_row(c, meeting_id, participant_id)
            preset = aq.get_preset_row(c, name=row["preset_name"]) if row else None
            return (
                None if row is None or preset is None else (aq.participant_json(row), aq.preset_json(preset))
            )

        found = await self.db.read(load)
        for conn in conns:
            if found is None:
                conn.close(CLOSE_FORBIDDEN, "participant removed")
            else:
                conn.set_preset(*found)

    async def kick(self, meeting_id: str, participant_ids: set[str] | None, revoke: Revoke) -> set[str]:
        """Close the sockets of those participants (everyone's if None) with 4003 "kicked",
        after ``revoke`` has stored their tokens as refused. Returns who was connected."""
        conns = [
            c
            for c in self.rooms.connections(meeting_id)
            if participant_ids is None or c.user_id in participant_ids
        ]
        await revoke([(c.user_id, self._token_of.get(c, ""), c.expires_at) for c in conns])
        for conn in conns:
            conn.close(CLOSE_FORBIDDEN, "kicked")
        return {c.user_id for c in conns}

    def connections_from(self, address: str) -> int:
        """Open sockets from one client address (for the per-address cap)."""
        return self._per_ip[address]

    async def wait_for_connections_from(self, address: str, predicate: Callable[[int], bool]) -> None:
        """Return once the number of open sockets from ``address`` satisfies ``predicate``."""
        async with self._released:
            await self._released.wait_for(lambda: predicate(self._per_ip[address]))

    def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        for conn in self.rooms.all():
            conn.close(code, reason)
