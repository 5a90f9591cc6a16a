"""Sessions: one live run of a meeting, from its first join until its last participant has
been gone for the meeting's keep-alive time (``session_keep_alive_time_in_secs``)."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from rtk_widget.server.store.records import iso, now_ms


@dataclass(frozen=True, slots=True)
class PeerJoin:
    meeting_id: str
    peer_id: str
    participant_id: str
    custom_participant_id: str
    display_name: str
    preset_name: str


def join(conn: sqlite3.Connection, peer: PeerJoin) -> tuple[str, bool]:
    """Record a join; starts a session when the meeting has no live one (a session whose last
    participant left within its keep-alive time is still live: it continues).
    Returns the session id and whether it started now."""
    now = now_ms()
    row = conn.execute(
        "SELECT id FROM sessions WHERE meeting_id = ? AND status = 'LIVE'", (peer.meeting_id,)
    ).fetchone()
    started = row is None
    if row is None:
        session_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO sessions (id, meeting_id, status, started_ms, updated_ms) VALUES (?,?,?,?,?)",
            (session_id, peer.meeting_id, "LIVE", now, now),
        )
    else:
        session_id = row[0]
    existing = conn.execute(
        "SELECT left_ms FROM session_peers WHERE session_id = ? AND peer_id = ?", (session_id, peer.peer_id)
    ).fetchone()
    if existing is not None and existing[0] is None:
        return session_id, False  # already counted (a repeated joinRoom)
    conn.execute(
        "INSERT OR REPLACE INTO session_peers (session_id, peer_id, participant_id, custom_participant_id,"
        " display_name, preset_name, joined_ms) VALUES (?,?,?,?,?,?,?)",
        (
            session_id,
            peer.peer_id,
            peer.participant_id,
            peer.custom_participant_id,
            peer.display_name,
            peer.preset_name,
            now,
        ),
    )
    conn.execute(
        "UPDATE sessions SET live_participants = live_participants + 1, updated_ms = ?,"
        " max_concurrent = MAX(max_concurrent, live_participants + 1) WHERE id = ?",
        (now, session_id),
    )
    return session_id, started


def leave(conn: sqlite3.Connection, session_id: str, peer_id: str) -> bool:
    """Record a leave. Returns True if nobody is left (the session's keep-alive time starts)."""
    now = now_ms()
    cur = conn.execute(
        "UPDATE session_peers SET left_ms = ? WHERE session_id = ? AND peer_id = ? AND left_ms IS NULL",
        (now, session_id, peer_id),
    )
    if cur.rowcount == 0:
        return False
    conn.execute(
        "UPDATE sessions SET live_participants = MAX(live_participants - 1, 0), updated_ms = ? WHERE id = ?",
        (now, session_id),
    )
    row = conn.execute(
        "SELECT live_participants FROM sessions WHERE id = ? AND status = 'LIVE'", (session_id,)
    ).fetchone()
    return row is not None and row[0] == 0


# When an idle live session is due to end: its last leave (updated_ms) plus the meeting's
# keep-alive, or the server default (the :default parameter) when the meeting has none.
_DUE_MS = (
    "s.updated_ms + CAST(ROUND(1000 * COALESCE("
    "json_extract(m.settings, '$.session_keep_alive_time_in_secs'), :default)) AS INTEGER)"
)
_IDLE = (
    "FROM sessions s JOIN meetings m ON m.id = s.meeting_id "
    "WHERE s.status = 'LIVE' AND s.live_participants = 0"
)


def end_idle(conn: sqlite3.Connection, now: int, default_keep_alive_s: float) -> tuple[list[str], int | None]:
    """End every live session whose last participant left at least its keep-alive time
    before ``now`` (ms). Returns the ended session ids and when the next idle one is due."""
    args = {"default": default_keep_alive_s, "now": now}
    due = conn.execute(f"SELECT s.id, {_DUE_MS} {_IDLE} AND {_DUE_MS} <= :now", args).fetchall()
    for session_id, due_ms in due:
        # ended_at is when the keep-alive ran out, whenever the check happens to run.
        conn.execute(
            "UPDATE sessions SET status = 'ENDED', ended_ms = ?, updated_ms = ? WHERE id = ?",
            (due_ms, due_ms, session_id),
        )
    nxt = conn.execute(f"SELECT MIN({_DUE_MS}) {_IDLE}", args).fetchone()[0]
    return [r[0] for r in due], None if nxt is None else int(nxt)


def end_all(conn: sqlite3.Connection) -> list[str]:
    """At start-up and at stop nobody is connected: end every live session (one a crash left
    live, or one still in its keep-alive time). Returns their ids."""
    now = now_ms()
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions WHERE status = 'LIVE'")]
    conn.execute("UPDATE session_peers SET left_ms = ? WHERE left_ms IS NULL", (now,))
    conn.execute(
        "UPDATE sessions SET status = 'ENDED', ended_ms = MAX(updated_ms, started_ms), "
        "live_participants = 0, updated_ms = ? WHERE status = 'LIVE'",
        (now,),
    )
    return ids


def session_json(row: sqlite3.Row, org_id: str) -> dict[str, Any]:
    end = row["ended_ms"] if row["ended_ms"] is not None else now_ms()
    out = {
        "id": row["id"],
        "associated_id": row["meeting_id"],
        "meeting_display_name": row["title"] or "",
        "type": "meeting",
        "status": row["status"],
        "live_participants": row["live_participants"],
        "max_concurrent_participants": row["max_concurrent"],
        "minutes_consumed": round(max(0, end - row["started_ms"]) / 60000, 2),
        "organization_id": org_id,
        "created_at": iso(row["started_ms"]),
        "started_at": iso(row["started_ms"]),
        "updated_at": iso(row["updated_ms"]),
    }
    if row["ended_ms"] is not None:
        out["ended_at"] = iso(row["ended_ms"])
    return out


_SELECT = "SELECT s.*, m.title FROM sessions s JOIN meetings m ON m.id = s.meeting_id"


def get_session(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(f"{_SELECT} WHERE s.id = ?", (session_id,)).fetchone()
    return row


def live_session(conn: sqlite3.Connection, meeting_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"{_SELECT} WHERE s.meeting_id = ? AND s.status = 'LIVE'", (meeting_id,)
    ).fetchone()
    return row


def list_sessions(
    conn: sqlite3.Connection,
    *,
    associated_id: str | None,
    status: str | None,
    offset: int,
    limit: int,
    ascending: bool,
) -> tuple[list[sqlite3.Row], int]:
    where, args = ["1 = 1"], []
    if associated_id:
        where.append("s.meeting_id = ?")
        args.append(associated_id)
    if status:
        where.append("s.status = ?")
        args.append(status)
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM sessions s WHERE {clause}", args).fetchone()[0]
    order = "ASC" if ascending else "DESC"
    rows = conn.execute(
        f"{_SELECT} WHERE {clause} ORDER BY s.started_ms {order}, s.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return rows, int(total)


def peer_json(row: sqlite3.Row) -> dict[str, Any]:
    end = row["left_ms"] if row["left_ms"] is not None else now_ms()
    return {
        "id": row["peer_id"],
        "user_id": row["participant_id"],
        "custom_participant_id": row["custom_participant_id"],
        "display_name": row["display_name"],
        "preset_name": row["preset_name"],
        "joined_at": iso(row["joined_ms"]),
        "left_at": iso(row["left_ms"]),
        "duration": round(max(0, end - row["joined_ms"]) / 60000, 2),
        "created_at": iso(row["joined_ms"]),
        "updated_at": iso(row["left_ms"] or row["joined_ms"]),
    }


def session_peers(
    conn: sqlite3.Connection, session_id: str, *, peer_id: str | None = None
) -> list[sqlite3.Row]:
    if peer_id is not None:
        return conn.execute(
            "SELECT * FROM session_peers WHERE session_id = ? AND peer_id = ?", (session_id, peer_id)
        ).fetchall()
    return conn.execute(
        "SELECT * FROM session_peers WHERE session_id = ? ORDER BY joined_ms, peer_id", (session_id,)
    ).fetchall()
