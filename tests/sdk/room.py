"""A meeting of three official-SDK participants, shared by a test module, and small helpers."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.sdk.participant import OpenPage, SdkParticipant
from tests.sdk.server_thread import ServerThread


@dataclass
class Room:
    """One meeting with three joined SDK participants: alice (livestream_host, may pin),
    bob and carol (livestream_viewer)."""

    meeting_id: str
    server: ServerThread
    alice: SdkParticipant
    bob: SdkParticipant
    carol: SdkParticipant

    @property
    def everyone(self) -> tuple[SdkParticipant, ...]:
        return (self.alice, self.bob, self.carol)


def unique(label: str) -> str:
    """A message text no other test uses."""
    return f"{label} {uuid.uuid4().hex[:8]}"


def recent(limit: int) -> dict[str, Any]:
    """fetch*Messages options for the newest ``limit`` messages (a timestamp safely in the future)."""
    return {"timestamp": int(time.time() * 1000) + 60_000, "limit": limit, "direction": "before"}


def join(server: ServerThread, open_page: OpenPage, meeting_id: str, user: str,
         preset: str) -> SdkParticipant:
    """A new page whose SDK has run ``init`` and ``join`` as a new participant ``user``."""
    participant = server.add_participant(meeting_id, name=user.title(), preset=preset, user=user)
    sdk = open_page(user)
    sdk.init_and_join(participant["token"], server.base_uri)
    return sdk


def make_room(server: ServerThread, open_page: OpenPage, title: str) -> Room:
    """A fresh meeting joined by alice, bob and carol."""
    meeting_id = server.create_meeting(title)["id"]
    return Room(meeting_id, server,
                join(server, open_page, meeting_id, "alice", "livestream_host"),
                join(server, open_page, meeting_id, "bob", "livestream_viewer"),
                join(server, open_page, meeting_id, "carol", "livestream_viewer"))
