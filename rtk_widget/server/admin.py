"""Meetings, participants, presets and sessions as a service: used by the management REST
(Cloudflare's paths and shapes) and in process (``server.admin``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from rtk_widget.server.auth import TokenIssuer
from rtk_widget.server.presets import merged, validate_preset_body
from rtk_widget.server.store import admin as q
from rtk_widget.server.store import sessions as sq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import iso, now_ms

Revoke = Callable[[list[tuple[str, str, int]]], Awaitable[None]]
"""Stores (participant id, token, token expiry in s) as refused, before a kick closes them."""


class ApiError(Exception):
    """A REST error: ``{"success": false, "error": {"code": status, "message": ...}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


MEETING_FIELDS = {
    "title",
    "persist_chat",
    "record_on_start",
    "live_stream_on_start",
    "summarize_on_end",
    "transcribe_on_end",
    "session_keep_alive_time_in_secs",
    "ai_config",
    "recording_config",
}
_BOOL_FIELDS = {
    "persist_chat",
    "record_on_start",
    "live_stream_on_start",
    "summarize_on_end",
    "transcribe_on_end",
}


MAX_KEEP_ALIVE_S = 86_400


def _keep_alive_ok(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_KEEP_ALIVE_S


def _meeting_changes(body: dict[str, Any], *, allow_status: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "status" and allow_status:
            if value not in ("ACTIVE", "INACTIVE"):
                raise ApiError(400, 'BAD_REQUEST: "status" must be ACTIVE or INACTIVE')
        elif key not in MEETING_FIELDS:
            continue
        elif key == "title" and value is not None and (not isinstance(value, str) or len(value) > 500):
            raise ApiError(400, 'BAD_REQUEST: "title" must be a string')
        elif key in _BOOL_FIELDS and value is not None and not isinstance(value, bool):
            raise ApiError(400, f'BAD_REQUEST: "{key}" must be a boolean')
        elif key == "session_keep_alive_time_in_secs" and value is not None and not _keep_alive_ok(value):
            raise ApiError(400, f'BAD_REQUEST: "{key}" must be a number from 0 to {MAX_KEEP_ALIVE_S}')
        changes[key] = value
    return changes


def _optional_str(body: dict[str, Any], key: str, limit: int = 500) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise ApiError(400, f'BAD_REQUEST: "{key}" must be a string')
    return value


class Admin:
    """The management operations; every method returns Cloudflare-shaped dicts."""

    def __init__(self, db: Database, tokens: TokenIssuer, org_id: str) -> None:
        self._db = db
        self._tokens = tokens
        self.org_id = org_id
        # Called with (meeting_id, participant_id) after a participant is deleted or re-preset.
        self.on_participant_changed: Callable[[str, str], Awaitable[None]] | None = None
        # Closes the sockets of (meeting_id, participant ids or None = all) after the revoke
        # callback stored their tokens; returns the participant ids that were connected.
        self.on_kick: Callable[[str, set[str] | None, Revoke], Awaitable[set[str]]] | None = None

    # -- apps --------------------------------------------------------------------------------

    async def apps(self) -> list[dict[str, Any]]:
        """This server's one app (its id is the configured app id)."""
        created = await self._db.read(q.first_preset_ms)
        return [{"id": self.org_id, "name": "rtk-widget", "created_at": iso(created or now_ms())}]

    # -- meetings ----------------------------------------------------------------------------

    async def create_meeting(self, title: str | None = None, **settings: Any) -> dict[str, Any]:
        changes = _meeting_changes({"title": title, **settings}, allow_status=False)
        title = changes.pop("title", None)
        return await self._db.write(lambda c: q.create_meeting(c, title, changes))

    async def get_meeting(self, meeting_id: str) -> dict[str, Any]:
        row = await self._db.read(lambda c: q.get_meeting_row(c, meeting_id))
        if row is None:
            raise ApiError(404, f"No meeting found with id {meeting_id}")
        return q.meeting_json(row)

    async def list_meetings(
        self,
        offset: int = 0,
        limit: int = 20,
        search: str | None = None,
        status: str | None = None,
        created: tuple[int | None, int | None] = (None, None),
    ) -> tuple[list[dict[str, Any]], int]:
        """Meetings newest first; ``created`` bounds their creation time (ms, inclusive)."""
        return await self._db.read(
            lambda c: q.list_meetings(c, offset, limit, search, status, created=created)
        )

    async def update_meeting(
        self, meeting_id: str, body: dict[str, Any], *, replace: bool = False
    ) -> dict[str, Any]:
        changes = _meeting_changes(body, allow_status=True)
        result = await self._db.write(lambda c: q.update_meeting(c, meeting_id, changes, replace=replace))
        if result is None:
            raise ApiError(404, f"No meeting found with id {meeting_id}")
        return result

    # -- participants ------------------------------------------------------------------------

    async def add_participant(
        self,
        meeting_id: str,
        *,
        preset_name: str,
        custom_participant_id: str,
        name: str | None = None,
        picture: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "preset_name": preset_name,
            "custom_participant_id": custom_participant_id,
            "name": name,
            "picture": picture,
        }
        for key in ("preset_name", "custom_participant_id"):
            value = body[key]
            if not isinstance(value, str) or not value or len(value) > 255:
                raise ApiError(400, f'BAD_REQUEST: "{key}" is required')
        name, picture = _optional_str(body, "name"), _optional_str(body, "picture", 2048)

        def add(c: sqlite3.Connection) -> dict[str, Any]:
            if q.get_meeting_row(c, meeting_id) is None:
                raise ApiError(404, f"No meeting found with id {meeting_id}")
            if q.get_preset_row(c, name=preset_name) is None:
                raise ApiError(400, f"BAD_REQUEST: No preset found with name {preset_name}")
            return q.add_participant(
                c,
                meeting_id,
                name=name,
                picture=picture,
                preset_name=preset_name,
                custom_participant_id=custom_participant_id,
            )

        participant = await self._db.write(add)
        participant["token"] = self._tokens.issue(meeting_id, participant["id"])
        return participant

    async def get_participant(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        row = await self._db.read(lambda c: q.get_participant_row(c, meeting_id, participant_id))
        if row is None:
            raise ApiError(404, f"No user found with id {participant_id}")
        return q.participant_json(row)

    async def list_participants(
        self, meeting_id: str, offset: int = 0, limit: int = 20
    ) -> tuple[list[dict[str, Any]], int]:
        await self.get_meeting(meeting_id)
        return await self._db.read(lambda c: q.list_participants(c, meeting_id, offset, limit))

    async def update_participant(
        self, meeting_id: str, participant_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {
            k: _optional_str(body, k, 2048) for k in ("name", "picture", "preset_name") if k in body
        }
        if "preset_name" in changes and not changes["preset_name"]:
            raise ApiError(400, 'BAD_REQUEST: "preset_name" must be a preset name')

        def update(c: sqlite3.Connection) -> dict[str, Any] | None:
            if changes.get("preset_name") and q.get_preset_row(c, name=changes["preset_name"]) is None:
                raise ApiError(400, f"BAD_REQUEST: No preset found with name {changes['preset_name']}")
            return q.update_participant(c, meeting_id, participant_id, changes)

        result = await self._db.write(update)
        if result is None:
            raise ApiError(404, f"No user found with id {participant_id}")
        result["token"] = self._tokens.issue(meeting_id, participant_id)
        if self.on_participant_changed is not None:
            await self.on_participant_changed(meeting_id, participant_id)
        return result

    async def delete_participant(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        result = await self._db.write(lambda c: q.delete_participant(c, meeting_id, participant_id))
        if result is None:
            raise ApiError(404, f"No user found with id {participant_id}")
        if self.on_participant_changed is not None:
            await self.on_participant_changed(meeting_id, participant_id)
        return result

    async def refresh_token(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        await self.get_participant(meeting_id, participant_id)
        return {"token": self._tokens.issue(meeting_id, participant_id)}

    # -- presets -----------------------------------------------------------------------------

    async def list_presets(
        self, offset: int = 0, limit: int = 20, search: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        return await self._db.read(lambda c: q.list_presets(c, offset, limit, search))

    async def get_preset(self, preset_id: str) -> dict[str, Any]:
        row = await self._db.read(lambda c: q.get_preset_row(c, preset_id=preset_id))
        if row is None:
            raise ApiError(404, f"No preset found with id {preset_id}")
        return q.preset_json(row)

    async def preset_by_name(self, name: str) -> dict[str, Any] | None:
        row = await self._db.read(lambda c: q.get_preset_row(c, name=name))
        return None if row is None else q.preset_json(row)

    async def save_preset(
        self, body: Any, preset_id: str | None = None, *, replace: bool = False
    ) -> dict[str, Any]:
        """Create (no id), update (laid over the stored preset) or replace a preset; whatever
        the body leaves out gets the defaults of its view type (presets.complete)."""
        if preset_id is not None:
            row = await self._db.read(lambda c: q.get_preset_row(c, preset_id=preset_id))
            if row is None:
                raise ApiError(404, f"No preset found with id {preset_id}")
            if isinstance(body, dict) and not replace:
                body = merged(q.preset_body(row), body)
        problem = validate_preset_body(body)
        if problem is not None:
            raise ApiError(400, f"BAD_REQUEST: {problem}")
        try:
            return await self._db.write(lambda c: q.save_preset(c, body, preset_id))
        except q.Conflict as exc:
            raise ApiError(409, str(exc)) from exc

    async def delete_preset(self, preset_id: str) -> dict[str, Any]:
        try:
            found = await self._db.write(lambda c: q.delete_preset(c, preset_id))
        except q.Conflict as exc:
            raise ApiError(409, str(exc)) from exc
        if found is None:
            raise ApiError(404, f"No preset found with id {preset_id}")
        return found

    # -- active session ----------------------------------------------------------------------

    async def kick(
        self, meeting_id: str, participant_ids: list[str] | None, custom_ids: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Remove participants (by id or custom id) from the live session: their sockets close
        and the tokens they used are refused from then on. Returns those participants."""
        await self.active_session(meeting_id)

        def find(c: sqlite3.Connection) -> list[dict[str, Any]] | str:
            found: dict[str, dict[str, Any]] = {}
            for pid in participant_ids or []:
                row = q.get_participant_row(c, meeting_id, pid)
                if row is None:
                    return f"No participant found with id {pid}"
                found[pid] = q.participant_json(row)
            for custom in custom_ids or []:
                rows = q.participants_by_custom_id(c, meeting_id, custom)
                if not rows:
                    return f"No participant found with custom_participant_id {custom}"
                found.update((r["id"], q.participant_json(r)) for r in rows)
            return list(found.values())

        people = await self._db.read(find)
        if isinstance(people, str):
            raise ApiError(404, people)
        await self._kick(meeting_id, {p["id"] for p in people})
        return people

    async def kick_all(self, meeting_id: str) -> int:
        """Remove everyone from the live session; returns how many participants were in it."""
        await self.active_session(meeting_id)
        return len(await self._kick(meeting_id, None))

    async def _kick(self, meeting_id: str, participant_ids: set[str] | None) -> set[str]:
        async def revoke(tokens: list[tuple[str, str, int]]) -> None:
            await self._db.write(lambda c: q.revoke_tokens(c, tokens))

        if self.on_kick is None:
            return set()
        return await self.on_kick(meeting_id, participant_ids, revoke)

    # -- sessions ----------------------------------------------------------------------------

    async def list_sessions(
        self,
        where: sq.SessionFilter | None = None,
        *,
        offset: int = 0,
        limit: int = 20,
        sort_by: str = "createdAt",
        ascending: bool = False,
    ) -> tuple[list[dict[str, Any]], int]:
        """Sessions matching ``where``, sorted by ``sort_by`` (createdAt or minutesConsumed)."""
        where = where or sq.SessionFilter()
        rows, total = await self._db.read(
            lambda c: sq.list_sessions(
                c, where, offset=offset, limit=limit, sort_by=sort_by, ascending=ascending
            )
        )
        return [sq.session_json(r, self.org_id) for r in rows], total

    async def get_session(self, session_id: str) -> dict[str, Any]:
        row = await self._db.read(lambda c: sq.get_session(c, session_id))
        if row is None:
            raise ApiError(404, f"No session found with id {session_id}")
        return sq.session_json(row, self.org_id)

    async def active_session(self, meeting_id: str) -> dict[str, Any]:
        row = await self._db.read(lambda c: sq.live_session(c, meeting_id))
        if row is None:
            raise ApiError(404, f"No active session found for meeting_id {meeting_id}")
        return sq.session_json(row, self.org_id)

    async def session_participants(
        self, session_id: str, peer_id: str | None = None, *, peer_events: bool = False
    ) -> list[dict[str, Any]]:
        """The session's participants (one per peer; ``peer_id`` may also be a participant id),
        in join order, with their join and leave events if ``peer_events``."""
        await self.get_session(session_id)

        def load(c: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = sq.session_peers(c, session_id, peer_id=peer_id)
            return [sq.peer_json(r, sq.view_type_of(c, r) if peer_events else None) for r in rows]

        return await self._db.read(load)
