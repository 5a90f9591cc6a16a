"""Who is in the meeting: ``meeting.self`` and ``meeting.participants``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from rtk_widget.client.events import EventEmitter, EventSource
from rtk_widget.wire.room_pb2 import Peer


@dataclass(frozen=True, slots=True)
class Participant:
    """Another participant in the meeting; ``id`` is the peer id (what private messages target)."""

    id: str
    user_id: str
    name: str
    picture: str | None = None
    custom_participant_id: str | None = None
    preset_name: str | None = None

    @classmethod
    def from_peer(cls, peer: Peer) -> Participant:
        """From a wire ``socket.room.Peer``."""
        return cls(
            id=peer.peer_id,
            user_id=peer.user_id,
            name=peer.display_name,
            picture=peer.display_picture_url if peer.HasField("display_picture_url") else None,
            custom_participant_id=(peer.custom_participant_id if peer.HasField("custom_participant_id")
                                   else None),
            preset_name=peer.flags.preset_name or None,
        )


@dataclass(frozen=True, slots=True)
class ChatPermissions:
    """What the preset lets this participant do in chat (``permissions.chat``)."""

    public_can_send: bool = True
    public_text: bool = True
    public_files: bool = True
    private_can_send: bool = True
    private_can_receive: bool = True
    private_text: bool = True
    private_files: bool = True
    can_pin: bool = False

    @classmethod
    def from_preset(cls, permissions: dict[str, Any]) -> ChatPermissions:
        """Read ``preset.permissions.chat`` (missing flags count as allowed, like an absent check)."""
        chat = permissions.get("chat") or {}
        public = chat.get("public") or {}
        private = chat.get("private") or {}

        def flag(node: dict[str, Any], key: str, default: bool = True) -> bool:
            value = node.get(key, default)
            return value is True if isinstance(value, bool) else default

        return cls(flag(public, "can_send"), flag(public, "text"), flag(public, "files"),
                   flag(private, "can_send"), flag(private, "can_receive"), flag(private, "text"),
                   flag(private, "files"), flag(chat, "can_pin_messages", False))

    def allows(self, payload_type: int, private: bool) -> bool:
        """The SDK's client-side check: text needs can_send+text, files can_send+files, custom both."""
        can_send, text, files = ((self.private_can_send, self.private_text, self.private_files) if private
                                 else (self.public_can_send, self.public_text, self.public_files))
        if payload_type in (1, 2):
            return can_send and files
        if payload_type == 3:
            return can_send and text and files
        return can_send and text


@dataclass(frozen=True, slots=True)
class SelfParticipant:
    """This participant: ``meeting.self``."""

    id: str
    """The peer id (fresh per ``Meeting``, kept across reconnects)."""
    user_id: str
    name: str
    picture: str | None
    custom_participant_id: str | None
    organization_id: str | None
    preset_name: str | None
    view_type: str | None
    permissions: ChatPermissions
    raw_permissions: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


class Participants(EventSource):
    """The joined participants other than self, with ``participantJoined``/``participantLeft`` events.

    Listeners receive the :class:`Participant`.
    """

    def __init__(self, emitter: EventEmitter) -> None:
        self._emitter = emitter
        self._lock = threading.Lock()
        self._joined: dict[str, Participant] = {}
        self.self_peer_id = ""

    @property
    def joined(self) -> list[Participant]:
        """Everyone else currently in the meeting, in join order."""
        with self._lock:
            return list(self._joined.values())

    def get(self, peer_id: str) -> Participant | None:
        """The joined participant with that peer id, or None."""
        with self._lock:
            return self._joined.get(peer_id)

    def by_user_id(self, user_id: str) -> list[Participant]:
        """Joined participants with that user id (one user may join from several places)."""
        return [p for p in self.joined if p.user_id == user_id]


    # ----- network side -----

    def joined_peer(self, peer: Participant) -> None:
        """A push on event 3: someone joined."""
        if peer.id == self.self_peer_id:
            return
        with self._lock:
            known = peer.id in self._joined
            self._joined[peer.id] = peer
        if not known:
            self._emitter.emit("participantJoined", peer)

    def left_peer(self, peer_id: str) -> None:
        """A push on event 4: someone left."""
        with self._lock:
            gone = self._joined.pop(peer_id, None)
        if gone is not None:
            self._emitter.emit("participantLeft", gone)

    def replace(self, peers: list[Participant]) -> None:
        """The full list after (re)joining: emits the differences."""
        fresh = {p.id: p for p in peers if p.id != self.self_peer_id}
        with self._lock:
            before = self._joined
            self._joined = fresh
        for peer_id, peer in before.items():
            if peer_id not in fresh:
                self._emitter.emit("participantLeft", peer)
        for peer_id, peer in fresh.items():
            if peer_id not in before:
                self._emitter.emit("participantJoined", peer)
