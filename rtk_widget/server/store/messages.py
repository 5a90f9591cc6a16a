"""Message queries (run on the database threads). Every list query applies visibility:
a private message is returned only to the user ids in its audience (targets + sender)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass

from rtk_widget.server.store.records import MessageRecord, now_ms

VISIBLE = (
    "(m.private = 0 OR EXISTS (SELECT 1 FROM message_audience a "
    "WHERE a.message_pk = m.pk AND a.user_id = :viewer))"
)


@dataclass(slots=True)
class NewMessage:
    meeting_id: str
    session_id: str | None
    peer_id: str
    user_id: str
    display_name: str
    payload_type: int
    payload: str
    target_user_ids: list[str]  # empty: public
    envelope_id: str | None
    file_ids: list[str]


@dataclass(slots=True)
class Page:
    messages: list[MessageRecord]
    more: bool


def _audience(conn: sqlite3.Connection, pk: int) -> frozenset[str]:
    rows = conn.execute("SELECT user_id FROM message_audience WHERE message_pk = ?", (pk,))
    return frozenset(r[0] for r in rows)


def _load(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> MessageRecord | None:
    row = conn.execute(f"SELECT * FROM messages WHERE {where}", args).fetchone()
    if row is None:
        return None
    return MessageRecord.from_row(row, _audience(conn, row["pk"]) if row["private"] else frozenset())


def get_message(conn: sqlite3.Connection, meeting_id: str, message_id: str) -> MessageRecord | None:
    return _load(conn, "meeting_id = ? AND id = ?", (meeting_id, message_id))


def find_duplicate(
    conn: sqlite3.Connection, meeting_id: str, user_id: str, envelope_id: str
) -> MessageRecord | None:
    row = conn.execute(
        "SELECT message_pk FROM dedupe WHERE meeting_id = ? AND user_id = ? AND envelope_id = ?",
        (meeting_id, user_id, envelope_id),
    ).fetchone()
    return None if row is None else _load(conn, "pk = ?", (row[0],))


def _link_files(conn: sqlite3.Connection, meeting_id: str, pk: int, file_ids: list[str]) -> None:
    """Remember which of the meeting's uploaded files a message links (for download checks)."""
    conn.executemany(
        "INSERT OR IGNORE INTO message_files (message_pk, file_id) "
        "SELECT ?, id FROM files WHERE id = ? AND meeting_id = ?",
        [(pk, f, meeting_id) for f in file_ids],
    )


def _bump(conn: sqlite3.Connection, meeting_id: str, *, new_message: bool) -> tuple[int, int, int]:
    """Next (seq, rev, time) of a meeting; times strictly increase so they order like seq."""
    if new_message:
        row = conn.execute(
            "UPDATE meetings SET seq = seq + 1, rev = rev + 1, last_ms = max(?, last_ms + 1)"
            " WHERE id = ? RETURNING seq, rev, last_ms",
            (now_ms(), meeting_id),
        ).fetchone()
    else:
        row = conn.execute(
            "UPDATE meetings SET rev = rev + 1 WHERE id = ? RETURNING seq, rev, last_ms", (meeting_id,)
        ).fetchone()
    if row is None:
        raise LookupError(f"no meeting {meeting_id}")
    return int(row[0]), int(row[1]), int(row[2])


class DuplicateSend(Exception):
    """The sender already stored a message under this envelope id; the caller's transaction
    (or savepoint) must roll back what :func:`insert_message` wrote before it found out."""


def insert_message(conn: sqlite3.Connection, new: NewMessage) -> MessageRecord:
    """Store a message; raises :class:`DuplicateSend` for an envelope id already stored (found
    by the dedupe insert itself: a lookup first cost every send a statement, for a rare resend)."""
    seq, rev, created = _bump(conn, new.meeting_id, new_message=True)
    private = bool(new.target_user_ids)
    message_id = str(uuid.uuid4())
    cur = conn.execute(
        "INSERT INTO messages (id, meeting_id, session_id, seq, rev, peer_id, user_id, display_name,"
        " payload_type, payload, private, target_user_ids, created_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message_id,
            new.meeting_id,
            new.session_id,
            seq,
            rev,
            new.peer_id,
            new.user_id,
            new.display_name,
            new.payload_type,
            new.payload,
            int(private),
            json.dumps(new.target_user_ids) if new.target_user_ids else "[]",
            created,
        ),
    )
    pk = int(cur.lastrowid or 0)
    audience = frozenset([*new.target_user_ids, new.user_id]) if private else frozenset()
    if audience:
        conn.executemany(
            "INSERT INTO message_audience (message_pk, user_id) VALUES (?, ?)",
            [(pk, u) for u in sorted(audience)],
        )
    if new.envelope_id is not None:
        stored = conn.execute(
            "INSERT INTO dedupe (meeting_id, user_id, envelope_id, message_pk) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (new.meeting_id, new.user_id, new.envelope_id, pk),
        )
        if stored.rowcount == 0:
            raise DuplicateSend(new.envelope_id)
    if new.file_ids:
        _link_files(conn, new.meeting_id, pk, new.file_ids)
    # The row as stored, without reading it back (it was a third of the insert's time).
    return MessageRecord(
        pk=pk,
        id=message_id,
        meeting_id=new.meeting_id,
        session_id=new.session_id,
        seq=seq,
        rev=rev,
        peer_id=new.peer_id,
        user_id=new.user_id,
        display_name=new.display_name,
        payload_type=new.payload_type,
        payload=new.payload,
        private=private,
        target_user_ids=list(new.target_user_ids),
        pinned=False,
        edited=False,
        deleted=False,
        created_ms=created,
        audience=audience,
    )


def change_message(
    conn: sqlite3.Connection,
    meeting_id: str,
    message_id: str,
    *,
    payload: tuple[int, str] | None = None,
    pinned: bool | None = None,
    delete: bool = False,
    file_ids: list[str] | None = None,
) -> MessageRecord:
    """Apply one change (edit, pin/unpin or delete) under a new revision."""
    current = get_message(conn, meeting_id, message_id)
    if current is None or current.deleted:
        raise LookupError(message_id)
    _, rev, _ = _bump(conn, meeting_id, new_message=False)
    if delete:
        conn.execute(
            "UPDATE messages SET deleted = 1, payload = '', pinned = 0, rev = ? WHERE pk = ?",
            (rev, current.pk),
        )
        conn.execute("DELETE FROM message_files WHERE message_pk = ?", (current.pk,))
    elif payload is not None:
        conn.execute(
            "UPDATE messages SET payload_type = ?, payload = ?, edited = 1, rev = ? WHERE pk = ?",
            (payload[0], payload[1], rev, current.pk),
        )
        conn.execute("DELETE FROM message_files WHERE message_pk = ?", (current.pk,))
        _link_files(conn, meeting_id, current.pk, file_ids or [])
    elif pinned is not None:
        conn.execute("UPDATE messages SET pinned = ?, rev = ? WHERE pk = ?", (int(pinned), rev, current.pk))
    updated = _load(conn, "pk = ?", (current.pk,))
    assert updated is not None
    return updated


def list_messages(
    conn: sqlite3.Connection,
    meeting_id: str,
    viewer: str,
    *,
    time_ms: int = 0,
    before: bool = True,
    limit: int = 50,
    offset: int = 0,
    pinned_only: bool = False,
    with_user: str | None = None,
    search: str | None = None,
) -> Page:
    """A page of visible, undeleted messages.

    ``before``: messages at or before ``time_ms``, newest first; otherwise at or after it,
    oldest first. ``time_ms == 0`` means no bound. ``with_user``: only the private messages
    shared by the viewer and that user. ``search``: text messages containing the term.
    """
    where = ["m.meeting_id = :meeting", "m.deleted = 0", VISIBLE]
    args: dict[str, object] = {"meeting": meeting_id, "viewer": viewer, "limit": limit + 1, "offset": offset}
    if time_ms:
        where.append("m.created_ms <= :time" if before else "m.created_ms >= :time")
        args["time"] = time_ms
    if pinned_only:
        where.append("m.pinned = 1")
    if with_user is not None:
        where.append(
            "m.private = 1 AND EXISTS (SELECT 1 FROM message_audience w "
            "WHERE w.message_pk = m.pk AND w.user_id = :with_user)"
        )
        args["with_user"] = with_user
    if search is not None:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("m.payload_type = 0 AND m.payload LIKE :term ESCAPE '\\'")
        args["term"] = f"%{escaped}%"
    order = "DESC" if before else "ASC"
    rows = conn.execute(
        f"SELECT m.* FROM messages m WHERE {' AND '.join(where)} "
        f"ORDER BY m.created_ms {order}, m.seq {order} LIMIT :limit OFFSET :offset",
        args,
    ).fetchall()
    more = len(rows) > limit
    return Page([MessageRecord.from_row(r) for r in rows[:limit]], more)


def recent_messages(
    conn: sqlite3.Connection, meeting_id: str, viewer: str, limit: int
) -> list[MessageRecord]:
    """The newest ``limit`` visible messages, oldest first (the SDK's join-time history)."""
    page = list_messages(conn, meeting_id, viewer, before=True, limit=limit)
    return page.messages[::-1]


@dataclass(slots=True)
class Changes:
    messages: list[MessageRecord]
    deleted_ids: list[str]
    rev: int
    more: bool


def changes_since(
    conn: sqlite3.Connection, meeting_id: str, viewer: str, after_rev: int, limit: int
) -> Changes:
    """Current state of visible messages changed after ``after_rev`` (deletions as ids)."""
    head = conn.execute("SELECT rev FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    current = int(head[0]) if head else 0
    rows = conn.execute(
        f"SELECT m.* FROM messages m WHERE m.meeting_id = :meeting AND m.rev > :after AND "
        f"{VISIBLE} ORDER BY m.rev LIMIT :limit",
        {"meeting": meeting_id, "after": after_rev, "viewer": viewer, "limit": limit + 1},
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    records = [MessageRecord.from_row(r) for r in rows]
    covered = records[-1].rev if more else current
    return Changes([r for r in records if not r.deleted], [r.id for r in records if r.deleted], covered, more)


def session_messages(
    conn: sqlite3.Connection, session_id: str, *, include_private: bool
) -> list[MessageRecord]:
    rows = conn.execute(
        "SELECT * FROM messages WHERE session_id = ? AND deleted = 0"
        + ("" if include_private else " AND private = 0")
        + " ORDER BY seq",
        (session_id,),
    ).fetchall()
    return [MessageRecord.from_row(r) for r in rows]


def file_audiences(conn: sqlite3.Connection, file_id: str) -> list[frozenset[str] | None]:
    """For each undeleted message linking the file: None if public, else its audience."""
    rows = conn.execute(
        "SELECT m.pk, m.private FROM message_files f JOIN messages m ON m.pk = f.message_pk "
        "WHERE f.file_id = ? AND m.deleted = 0",
        (file_id,),
    ).fetchall()
    return [(_audience(conn, r[0]) if r[1] else None) for r in rows]
