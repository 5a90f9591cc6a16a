"""Sessions: one live run of a meeting, from its first join until its last participant has
been gone for the meeting's keep-alive time (``session_keep_alive_time_in_secs``).

Chat retention (``persist_chat``): a session's messages are kept for
:data:`CHAT_RETENTION_MS` (a week, RealtimeKit's default) after it ends, then deleted (as
tombstones, so a client's catch-up learns of it) unless the meeting has ``persist_chat``: then
they are kept. Within that time a meeting's chat stays in the meeting across its sessions;
after it, the session's Chat Replay is an empty CSV (deleted messages are never in it).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from rtk_widget.server.store.admin import like_pattern
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


CHAT_RETENTION_MS = 7 * 86_400_000

# Sessions that ended in (:after, :cutoff] in meetings without persist_chat; :after is the
# cutoff of the previous purge (kept in meta), so each ended session is looked at once.
_EXPIRED_SESSIONS = (
    "SELECT s.id FROM sessions s JOIN meetings m ON m.id = s.meeting_id "
    "WHERE s.status = 'ENDED' AND s.ended_ms > :after AND s.ended_ms <= :cutoff "
    "AND COALESCE(json_extract(m.settings, '$.persist_chat'), 0) = 0"
)
_PURGED_UNTIL = "chat_purged_until"


def purge_expired_chat(conn: sqlite3.Connection, now: int) -> int:
    """Delete the messages of sessions past their chat retention at ``now`` (ms), each under a
    new revision of its meeting, like a delete. Returns how many were deleted."""
    cutoff = now - CHAT_RETENTION_MS
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_PURGED_UNTIL,)).fetchone()
    after = int(row[0]) if row else -1
    if cutoff <= after:
        return 0
    expired = [r[0] for r in conn.execute(_EXPIRED_SESSIONS, {"after": after, "cutoff": cutoff})]
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_PURGED_UNTIL, str(cutoff)))
    rows = [
        (pk, meeting_id)
        for session_id in expired
        for pk, meeting_id in conn.execute(
            "SELECT pk, meeting_id FROM messages WHERE session_id = ? AND deleted = 0 ORDER BY seq",
            (session_id,),
        )
    ]
    rows.sort(key=lambda r: r[1])
    for meeting_id, group in itertools.groupby(rows, key=lambda r: r[1]):
        pks = [pk for pk, _ in group]
        rev = conn.execute("SELECT rev FROM meetings WHERE id = ?", (meeting_id,)).fetchone()[0]
        conn.executemany(
            "UPDATE messages SET deleted = 1, payload = '', pinned = 0, rev = ? WHERE pk = ?",
            [(rev + i, pk) for i, pk in enumerate(pks, start=1)],
        )
        conn.executemany("DELETE FROM message_files WHERE message_pk = ?", [(pk,) for pk in pks])
        conn.execute("UPDATE meetings SET rev = ? WHERE id = ?", (rev + len(pks), meeting_id))
    return len(rows)


def end_idle(conn: sqlite3.Connection, now: int, default_keep_alive_s: float) -> tuple[list[str], int | None]:
    """End every live session whose last participant left at least its keep-alive time
    before ``now`` (ms), and delete chat past its retention. Returns the ended session ids
    and when the next idle one is due."""
    purge_expired_chat(conn, now)
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
    live, or one still in its keep-alive time), and delete chat past its retention. Returns
    their ids."""
    now = now_ms()
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions WHERE status = 'LIVE'")]
    conn.execute("UPDATE session_peers SET left_ms = ? WHERE left_ms IS NULL", (now,))
    conn.execute(
        "UPDATE sessions SET status = 'ENDED', ended_ms = MAX(updated_ms, started_ms), "
        "live_participants = 0, updated_ms = ? WHERE status = 'LIVE'",
        (now,),
    )
    purge_expired_chat(conn, now)
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


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """What a session list keeps: times in ms (inclusive), ``participants`` bounds the
    session's peak number of participants, ``search`` matches session id, meeting id or title."""

    associated_id: str | None = None
    status: str | None = None
    started_from: int | None = None
    started_until: int | None = None
    search: str | None = None
    participants: tuple[int | None, int | None] = (None, None)


SORT_COLUMNS = {"createdAt": "s.started_ms", "minutesConsumed": "(COALESCE(s.ended_ms, :now) - s.started_ms)"}


def list_sessions(
    conn: sqlite3.Connection,
    where: SessionFilter,
    *,
    offset: int,
    limit: int,
    sort_by: str = "createdAt",
    ascending: bool = False,
) -> tuple[list[sqlite3.Row], int]:
    """A page of sessions and the number that match."""
    clauses = ["1 = 1"]
    args: dict[str, str | int] = {"now": now_ms(), "limit": limit, "offset": offset}
    tests = (
        ("s.meeting_id = :associated_id", "associated_id", where.associated_id),
        ("s.status = :status", "status", where.status),
        ("s.started_ms >= :started_from", "started_from", where.started_from),
        ("s.started_ms <= :started_until", "started_until", where.started_until),
        ("s.max_concurrent >= :fewest", "fewest", where.participants[0]),
        ("s.max_concurrent <= :most", "most", where.participants[1]),
    )
    for clause, name, value in tests:
        if value is not None and value != "":
            clauses.append(clause)
            args[name] = value
    if where.search:
        clauses.append("(s.id = :search OR s.meeting_id = :search OR m.title LIKE :pattern ESCAPE '\\')")
        args["search"], args["pattern"] = where.search, like_pattern(where.search)
    clause = " AND ".join(clauses)
    total = conn.execute(
        f"SELECT COUNT(*) FROM sessions s JOIN meetings m ON m.id = s.meeting_id WHERE {clause}", args
    ).fetchone()[0]
    order = "ASC" if ascending else "DESC"
    rows = conn.execute(
        f"{_SELECT} WHERE {clause} ORDER BY {SORT_COLUMNS[sort_by]} {order}, s.id"
        " LIMIT :limit OFFSET :offset",
        args,
    ).fetchall()
    return rows, int(total)


def peer_json(row: sqlite3.Row, view_type: str | None = None) -> dict[str, Any]:
    """A session participant; with ``view_type`` (its preset's) also its ``peer_events``."""
    end = row["left_ms"] if row["left_ms"] is not None else now_ms()
    out: dict[str, Any] = {
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
    if view_type is not None:
        out["peer_events"] = _peer_events(row, view_type)
    return out


def _peer_events(row: sqlite3.Row, view_type: str) -> list[dict[str, Any]]:
    """RealtimeKit's PEER_JOINING / PEER_LEAVING records for the peer's (latest) stay."""
    moments = [("PEER_JOINING", row["joined_ms"])]
    if row["left_ms"] is not None:
        moments.append(("PEER_LEAVING", row["left_ms"]))
    return [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{row['session_id']}/{row['peer_id']}/{name}/{at}")),
            "event_name": name,
            "peer_id": row["peer_id"],
            "participant_id": row["participant_id"],
            "session_id": row["session_id"],
            "preset_view_type": view_type,
            "minutes_consumed": round(max(0, at - row["joined_ms"]) / 60000, 2),
            "created_at": iso(at),
            "updated_at": iso(at),
        }
        for name, at in moments
    ]


def view_type_of(conn: sqlite3.Connection, peer: sqlite3.Row) -> str:
    """The view type of the preset a session peer had (GROUP_CALL if it is gone)."""
    row = conn.execute("SELECT body FROM presets WHERE name = ?", (peer["preset_name"],)).fetchone()
    view = json.loads(row[0]).get("config", {}).get("view_type") if row else None
    return view if isinstance(view, str) else "GROUP_CALL"


def session_peers(
    conn: sqlite3.Connection, session_id: str, *, peer_id: str | None = None
) -> list[sqlite3.Row]:
    """The session's peers in join order; ``peer_id`` (a peer or participant id) picks some."""
    if peer_id is not None:
        return conn.execute(
            "SELECT * FROM session_peers WHERE session_id = ? AND (peer_id = ? OR participant_id = ?) "
            "ORDER BY joined_ms, peer_id",
            (session_id, peer_id, peer_id),
        ).fetchall()
    return conn.execute(
        "SELECT * FROM session_peers WHERE session_id = ? ORDER BY joined_ms, peer_id", (session_id,)
    ).fetchall()
