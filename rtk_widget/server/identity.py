"""Who a participant token belongs to: verified claims plus the stored participant, preset
and meeting. Used by the socket handshake and the SDK-facing REST alike."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from rtk_widget.server.auth import TokenError, TokenIssuer
from rtk_widget.server.store import admin as aq
from rtk_widget.server.store.db import Database


class Refused(Exception):
    """A valid token whose participant may not connect (deleted, meeting inactive)."""


@dataclass(slots=True)
class Identity:
    participant: dict[str, Any]
    preset: dict[str, Any]
    meeting: dict[str, Any]
    expires_at: int

    @property
    def meeting_id(self) -> str:
        return str(self.meeting["id"])

    @property
    def user_id(self) -> str:
        return str(self.participant["id"])


async def authenticate(
    db: Database, tokens: TokenIssuer, token: str | None, room_id: str | None = None
) -> Identity:
    """Raises :class:`TokenError` (bad token) or :class:`Refused` (valid token, no access)."""
    if not token:
        raise TokenError("missing authToken")
    claims = tokens.verify(token)
    if room_id is not None and claims.meeting_id != room_id:
        raise TokenError("token is for another meeting")

    def load(c: sqlite3.Connection) -> Identity | str:
        meeting = aq.get_meeting_row(c, claims.meeting_id)
        if meeting is None:
            return "unknown meeting"
        participant = aq.get_participant_row(c, claims.meeting_id, claims.participant_id)
        if participant is None:
            return "participant removed"
        if aq.token_revoked(c, token):
            return "kicked"
        if meeting["status"] != "ACTIVE":
            return "meeting is inactive"
        preset = aq.get_preset_row(c, name=participant["preset_name"])
        if preset is None:
            return "the participant's preset no longer exists"
        return Identity(
            aq.participant_json(participant),
            aq.preset_json(preset),
            aq.meeting_json(meeting),
            claims.expires_at,
        )

    found = await db.read(load)
    if isinstance(found, str):
        raise Refused(found)
    return found
