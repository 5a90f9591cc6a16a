"""Connected peers per meeting and the fan-out of frames to them.

Every connection has a bounded outbox (outbox.py), written at the end of each turn of the loop,
so one slow reader never blocks the others: a peer whose outbox is full is dropped (close 1013)
and reconnects. Frames are queued in the order the server decides them, so each peer sees the
meeting's changes in commit order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rtk_widget.server.presets import Permissions
from rtk_widget.server.ws.outbox import FlushSchedule, Outbox
from rtk_widget.wire.room_pb2 import Peer, PeerFlags, StageType

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Connection:
    """One authenticated socket: a participant's peer in a meeting."""

    meeting_id: str
    peer_id: str
    participant: dict[str, Any]  # Cloudflare participant dict (id, name, custom_participant_id, ...)
    preset: dict[str, Any]  # full preset (name, config, permissions, ...)
    queue_size: int
    flushes: FlushSchedule
    expires_at: int = 0
    joined: bool = False
    session_id: str | None = None
    closed: bool = False
    dispatching: bool = False  # the read loop has a request in hand
    inflight: asyncio.Future[None] | None = None  # a request handled as it came in, still waiting
    outbox: Outbox = field(init=False)
    permissions: Permissions = field(init=False)
    ended: asyncio.Event = field(init=False)  # set by close(): the handler stops reading
    pending: set[asyncio.Future[None]] = field(init=False)  # chat writes committing in the background

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.queue_size, self.flushes)
        self.permissions = Permissions(self.preset)
        self.ended = asyncio.Event()
        self.pending = set()

    @property
    def user_id(self) -> str:
        return str(self.participant["id"])

    @property
    def display_name(self) -> str:
        return str(self.participant.get("name") or self.participant.get("custom_participant_id") or "")

    def set_preset(self, participant: dict[str, Any], preset: dict[str, Any]) -> None:
        self.participant = participant
        self.preset = preset
        self.permissions = Permissions(preset)

    def peer(self) -> Peer:
        """This connection as RealtimeKit's ``socket.room.Peer``."""
        stage = (
            StageType.STAGE_TYPE_OFF_STAGE
            if self.permissions.view_type == "LIVESTREAM"
            else StageType.STAGE_TYPE_ON_STAGE
        )
        permissions = self.preset.get("permissions") or {}
        # The SDK treats a peer whose flags.recorder_type is anything but "NONE" (the empty
        # proto3 default included) as a recorder and leaves it out of participants.joined.
        flags = PeerFlags(
            preset_name=str(self.preset.get("name", "")),
            recorder_type=str(permissions.get("recorder_type") or "NONE"),
            hidden_participant=bool(permissions.get("hidden_participant", False)),
        )
        peer = Peer(
            peer_id=self.peer_id,
            user_id=self.user_id,
            display_name=self.display_name,
            stage_type=stage,
            preset_id=str(self.preset.get("id", "")),
            flags=flags,
        )
        custom = self.participant.get("custom_participant_id")
        if custom:
            peer.custom_participant_id = str(custom)
        picture = self.participant.get("picture")
        if picture:
            peer.display_picture_url = str(picture)
        return peer

    def send(self, frame: bytes | str) -> None:
        """Queue a frame; a peer too far behind is dropped instead of buffering without bound."""
        if self.closed:
            return
        if not self.outbox.put(frame):
            log.warning("peer %s is too slow; dropping it", self.peer_id)
            self.close(1013, "too far behind; reconnect")

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.ended.set()
        self.outbox.close(code, reason)


class Rooms:
    """Connections by meeting and peer id."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Connection]] = {}
        self._live: set[Connection] = set()  # registered until their handler has cleaned up
        self.flushes = FlushSchedule()  # writes every outbox filled in a turn of the loop
        self.idle = asyncio.Event()
        self.idle.set()

    def opened(self, conn: Connection) -> None:
        self._live.add(conn)
        self.idle.clear()

    def finished(self, conn: Connection) -> None:
        self._live.discard(conn)
        if not self._live:
            self.idle.set()

    def add(self, conn: Connection) -> Connection | None:
        """Register a connection; returns the one it replaces (same peer id), if any."""
        room = self._rooms.setdefault(conn.meeting_id, {})
        old = room.get(conn.peer_id)
        room[conn.peer_id] = conn
        return old

    def remove(self, conn: Connection) -> None:
        room = self._rooms.get(conn.meeting_id)
        if room is not None and room.get(conn.peer_id) is conn:
            del room[conn.peer_id]
            if not room:
                del self._rooms[conn.meeting_id]

    def get(self, meeting_id: str, peer_id: str) -> Connection | None:
        return self._rooms.get(meeting_id, {}).get(peer_id)

    def connections(self, meeting_id: str) -> list[Connection]:
        return list(self._rooms.get(meeting_id, {}).values())

    def joined(self, meeting_id: str) -> list[Connection]:
        return [c for c in self._rooms.get(meeting_id, {}).values() if c.joined]

    def of_participant(self, meeting_id: str, participant_id: str) -> list[Connection]:
        return [c for c in self.connections(meeting_id) if c.user_id == participant_id]

    def all(self) -> Iterable[Connection]:
        for room in list(self._rooms.values()):
            yield from list(room.values())

    def count(self) -> int:
        return sum(len(r) for r in self._rooms.values())

    def fan_out(
        self,
        meeting_id: str,
        frame: bytes,
        *,
        exclude: Connection | None = None,
        audience: frozenset[str] | None = None,
    ) -> int:
        """Queue ``frame`` to every joined peer (of ``audience`` user ids, if given)."""
        sent = 0
        for conn in self.joined(meeting_id):
            if conn is exclude or (audience is not None and conn.user_id not in audience):
                continue
            conn.send(frame)
            sent += 1
        return sent
