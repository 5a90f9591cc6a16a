"""Meetings, participants, presets and sessions (run on the database threads)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from typing import Any

from rtk_widget.server.presets import BUILTIN_PRESETS, complete, effective
from rtk_widget.server.store.records import iso, now_ms

MEETING_SETTINGS = {
    "persist_chat": False,
    "record_on_start": False,
    "live_stream_on_start": False,
    "summarize_on_end": False,
    "transcribe_on_end": False,
    "session_keep_alive_time_in_secs": 60,
}
MEETING_OPTIONAL = ("ai_config", "recording_config")


class Conflict(Exception):
    """A unique name or id is already taken."""


def meeting_json(row: sqlite3.Row, *, full: bool = True) -> dict[str, Any]:
    settings = json.loads(row["settings"])
    out: dict[str, Any] = {"id": row["id"], "title": row["title"], "status": row["status"]}
    for key, default in MEETING_SETTINGS.items():
        out[key] = settings.get(key, default)
    if full:
        for key in MEETING_OPTIONAL:
            if key in settings:
                out[key] = settings[key]
    out["created_at"] = iso(row["created_ms"])
    out["updated_at"] = iso(row["updated_ms"])
    return out


def create_meeting(conn: sqlite3.Connection, title: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    meeting_id, now = str(uuid.uuid4()), now_ms()
    conn.execute(
        "INSERT INTO meetings (id, title, status, settings, created_ms, updated_ms) VALUES (?,?,?,?,?,?)",
        (meeting_id, title, "ACTIVE", json.dumps(settings), now, now),
    )
    row = get_meeting_row(conn, meeting_id)
    assert row is not None
    return meeting_json(row)


def get_meeting_row(conn: sqlite3.Connection, meeting_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    return row


def update_meeting(
    conn: sqlite3.Connection, meeting_id: str, changes: dict[str, Any], *, replace: bool = False
) -> dict[str, Any] | None:
    row = get_meeting_row(conn, meeting_id)
    if row is None:
        return None
    settings = {} if replace else json.loads(row["settings"])
    title = None if replace else row["title"]
    status = "ACTIVE" if replace else row["status"]
    for key, value in changes.items():
        if key == "title":
            title = value
        elif key == "status":
            status = value
        else:
            settings[key] = value
    conn.execute(
        "UPDATE meetings SET title = ?, status = ?, settings = ?, updated_ms = ? WHERE id = ?",
        (title, status, json.dumps(settings), now_ms(), meeting_id),
    )
    updated = get_meeting_row(conn, meeting_id)
    assert updated is not None
    return meeting_json(updated)


def like_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching ``text`` anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_meetings(
    conn: sqlite3.Connection,
    offset: int,
    limit: int,
    search: str | None,
    status: str | None,
    *,
    created: tuple[int | None, int | None] = (None, None),
) -> tuple[list[dict[str, Any]], int]:
    """A page of meetings, newest first; ``created`` bounds their creation time (ms, inclusive)."""
    where: list[str] = ["1 = 1"]
    args: list[str | int] = []
    if search:
        where.append("(id = ? OR title LIKE ? ESCAPE '\\')")
        args += [search, like_pattern(search)]
    if status:
        where.append("status = ?")
        args.append(status)
    if created[0] is not None:
        where.append("created_ms >= ?")
        args.append(created[0])
    if created[1] is not None:
        where.append("created_ms <= ?")
        args.append(created[1])
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM meetings WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM meetings WHERE {clause} ORDER BY created_ms DESC, id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [meeting_json(r, full=False) for r in rows], int(total)


# -- participants ----------------------------------------------------------------------------


def participant_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "custom_participant_id": row["custom_participant_id"],
        "preset_name": row["preset_name"],
        "name": row["name"],
        "picture": row["picture"],
        "created_at": iso(row["created_ms"]),
        "updated_at": iso(row["updated_ms"]),
    }


def add_participant(
    conn: sqlite3.Connection,
    meeting_id: str,
    *,
    name: str | None,
    picture: str | None,
    preset_name: str,
    custom_participant_id: str,
) -> dict[str, Any]:
    participant_id, now = str(uuid.uuid4()), now_ms()
    conn.execute(
        "INSERT INTO participants (id, meeting_id, custom_participant_id, preset_name, name, picture,"
        " created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?)",
        (participant_id, meeting_id, custom_participant_id, preset_name, name, picture, now, now),
    )
    row = get_participant_row(conn, meeting_id, participant_id)
    assert row is not None
    return participant_json(row)


def get_participant_row(conn: sqlite3.Connection, meeting_id: str, participant_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM participants WHERE id = ? AND meeting_id = ? AND deleted = 0",
        (participant_id, meeting_id),
    ).fetchone()
    return row


def participants_by_custom_id(conn: sqlite3.Connection, meeting_id: str, custom_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM participants WHERE meeting_id = ? AND custom_participant_id = ? AND deleted = 0 "
        "ORDER BY created_ms, id",
        (meeting_id, custom_id),
    ).fetchall()


def list_participants(
    conn: sqlite3.Connection, meeting_id: str, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(
        "SELECT COUNT(*) FROM participants WHERE meeting_id = ? AND deleted = 0", (meeting_id,)
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT * FROM participants WHERE meeting_id = ? AND deleted = 0 "
        "ORDER BY created_ms, id LIMIT ? OFFSET ?",
        (meeting_id, limit, offset),
    ).fetchall()
    return [participant_json(r) for r in rows], int(total)


def update_participant(
    conn: sqlite3.Connection, meeting_id: str, participant_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    if get_participant_row(conn, meeting_id, participant_id) is None:
        return None
    for key in ("name", "picture", "preset_name"):
        if key in changes:
            conn.execute(f"UPDATE participants SET {key} = ? WHERE id = ?", (changes[key], participant_id))
    conn.execute("UPDATE participants SET updated_ms = ? WHERE id = ?", (now_ms(), participant_id))
    row = get_participant_row(conn, meeting_id, participant_id)
    assert row is not None
    return participant_json(row)


def delete_participant(
    conn: sqlite3.Connection, meeting_id: str, participant_id: str
) -> dict[str, Any] | None:
    row = get_participant_row(conn, meeting_id, participant_id)
    if row is None:
        return None
    now = now_ms()
    conn.execute("UPDATE participants SET deleted = 1, updated_ms = ? WHERE id = ?", (now, participant_id))
    preset = get_preset_row(conn, name=row["preset_name"])
    return {
        "created_at": iso(row["created_ms"]),
        "custom_participant_id": row["custom_participant_id"],
        "preset_id": preset["id"] if preset else None,
        "updated_at": iso(now),
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_tokens(conn: sqlite3.Connection, tokens: list[tuple[str, str, int]]) -> None:
    """Refuse these (participant id, token, expiry in s) from now on; forget expired ones."""
    conn.execute("DELETE FROM revoked_tokens WHERE expires_ms < ?", (now_ms(),))
    conn.executemany(
        "INSERT OR IGNORE INTO revoked_tokens (digest, participant_id, expires_ms) VALUES (?,?,?)",
        [(_digest(token), pid, expires * 1000) for pid, token, expires in tokens if token],
    )


def token_revoked(conn: sqlite3.Connection, token: str) -> bool:
    row = conn.execute("SELECT 1 FROM revoked_tokens WHERE digest = ?", (_digest(token),)).fetchone()
    return row is not None


# -- presets ---------------------------------------------------------------------------------


def preset_body(row: sqlite3.Row) -> dict[str, Any]:
    """The preset as stored: name, config, permissions, ui (what a PATCH is laid over)."""
    body = json.loads(row["body"])
    return {"name": row["name"], **{k: body.get(k) or {} for k in ("config", "permissions", "ui")}}


def preset_json(row: sqlite3.Row, *, full: bool = True) -> dict[str, Any]:
    """The Preset object; stored bodies older than a field get its default, and our chat
    extension flags are filled in (presets.effective)."""
    out: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if full:
        body = effective(complete(preset_body(row)))
        out.update({k: body[k] for k in ("config", "permissions", "ui")})
    out["created_at"] = iso(row["created_ms"])
    out["updated_at"] = iso(row["updated_ms"])
    return out


def seed_presets(conn: sqlite3.Connection) -> None:
    now = now_ms()
    for preset in BUILTIN_PRESETS:
        body = {k: v for k, v in preset.items() if k != "name"}
        conn.execute(
            "INSERT OR IGNORE INTO presets (id, name, body, created_ms, updated_ms) VALUES (?,?,?,?,?)",
            (str(uuid.uuid4()), preset["name"], json.dumps(body), now, now),
        )


def get_preset_row(
    conn: sqlite3.Connection, *, name: str | None = None, preset_id: str | None = None
) -> sqlite3.Row | None:
    if name is not None:
        row: sqlite3.Row | None = conn.execute("SELECT * FROM presets WHERE name = ?", (name,)).fetchone()
    else:
        row = conn.execute("SELECT * FROM presets WHERE id = ?", (preset_id,)).fetchone()
    return row


def save_preset(
    conn: sqlite3.Connection, body: dict[str, Any], preset_id: str | None = None
) -> dict[str, Any]:
    now = now_ms()
    whole = complete(body)
    stored = json.dumps({k: whole[k] for k in ("config", "permissions", "ui")})
    other = get_preset_row(conn, name=body["name"])
    if other is not None and other["id"] != preset_id:
        raise Conflict(f"a preset named {body['name']!r} already exists")
    if preset_id is None:
        preset_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO presets (id, name, body, created_ms, updated_ms) VALUES (?,?,?,?,?)",
            (preset_id, body["name"], stored, now, now),
        )
    else:
        conn.execute(
            "UPDATE presets SET name = ?, body = ?, updated_ms = ? WHERE id = ?",
            (body["name"], stored, now, preset_id),
        )
    row = get_preset_row(conn, preset_id=preset_id)
    assert row is not None
    return preset_json(row)


def first_preset_ms(conn: sqlite3.Connection) -> int | None:
    """When the first preset was stored: the data dir's (and its one app's) creation time."""
    value = conn.execute("SELECT MIN(created_ms) FROM presets").fetchone()[0]
    return None if value is None else int(value)


def delete_preset(conn: sqlite3.Connection, preset_id: str) -> dict[str, Any] | None:
    """Delete a preset no participant uses; returns it as it was, None if there is none."""
    row = get_preset_row(conn, preset_id=preset_id)
    if row is None:
        return None
    users = conn.execute(
        "SELECT COUNT(*) FROM participants WHERE preset_name = ? AND deleted = 0", (row["name"],)
    ).fetchone()[0]
    if users:
        raise Conflict(f"preset {row['name']!r} is used by {users} participant(s); change their preset first")
    conn.execute("DELETE FROM presets WHERE id = ?", (preset_id,))
    return preset_json(row)


def list_presets(
    conn: sqlite3.Connection, offset: int, limit: int, search: str | None
) -> tuple[list[dict[str, Any]], int]:
    clause, args = ("name LIKE ? ESCAPE '\\'", [like_pattern(search)]) if search else ("1 = 1", [])
    total = conn.execute(f"SELECT COUNT(*) FROM presets WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM presets WHERE {clause} ORDER BY created_ms, name LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [preset_json(r, full=False) for r in rows], int(total)
