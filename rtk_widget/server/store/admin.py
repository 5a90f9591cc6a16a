"""Meetings, participants, presets and sessions (run on the database threads)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from rtk_widget.server.presets import BUILTIN_PRESETS
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


def list_meetings(
    conn: sqlite3.Connection, offset: int, limit: int, search: str | None, status: str | None
) -> tuple[list[dict[str, Any]], int]:
    where, args = ["1 = 1"], []
    if search:
        where.append("(id = ? OR title LIKE ? ESCAPE '\\')")
        args += [search, "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
    if status:
        where.append("status = ?")
        args.append(status)
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


# -- presets ---------------------------------------------------------------------------------


def preset_json(row: sqlite3.Row, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if full:
        body = json.loads(row["body"])
        out.update(
            {
                "config": body.get("config", {}),
                "permissions": body.get("permissions", {}),
                "ui": body.get("ui") or {},
            }
        )
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
    stored = json.dumps(
        {"config": body["config"], "permissions": body["permissions"], "ui": body.get("ui") or {}}
    )
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


def list_presets(
    conn: sqlite3.Connection, offset: int, limit: int, search: str | None
) -> tuple[list[dict[str, Any]], int]:
    clause, args = ("name LIKE ?", ["%" + search + "%"]) if search else ("1 = 1", [])
    total = conn.execute(f"SELECT COUNT(*) FROM presets WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM presets WHERE {clause} ORDER BY created_ms, name LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [preset_json(r, full=False) for r in rows], int(total)
