"""Row types and time helpers shared by the store and the services."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int | None) -> str | None:
    """ISO-8601 UTC with milliseconds, as RealtimeKit's REST API writes times."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(slots=True)
class MessageRecord:
    pk: int
    id: str
    meeting_id: str
    session_id: str | None
    seq: int
    rev: int
    peer_id: str
    user_id: str
    display_name: str
    payload_type: int
    payload: str
    private: bool
    target_user_ids: list[str]
    pinned: bool
    edited: bool
    deleted: bool
    created_ms: int
    audience: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_row(cls, row: sqlite3.Row, audience: frozenset[str] = frozenset()) -> MessageRecord:
        return cls(
            pk=row["pk"],
            id=row["id"],
            meeting_id=row["meeting_id"],
            session_id=row["session_id"],
            seq=row["seq"],
            rev=row["rev"],
            peer_id=row["peer_id"],
            user_id=row["user_id"],
            display_name=row["display_name"],
            payload_type=row["payload_type"],
            payload=row["payload"],
            private=bool(row["private"]),
            target_user_ids=json.loads(row["target_user_ids"]),
            pinned=bool(row["pinned"]),
            edited=bool(row["edited"]),
            deleted=bool(row["deleted"]),
            created_ms=row["created_ms"],
            audience=audience,
        )

    def visible_to(self, user_id: str) -> bool:
        return not self.private or user_id in self.audience
