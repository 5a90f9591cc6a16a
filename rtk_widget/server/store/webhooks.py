"""Webhook registrations (Cloudflare's Webhook object, one row per webhook) and the queue of
deliveries not yet made (one row per webhook and event, until delivered or given up on)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from rtk_widget.server.store.records import iso, now_ms


def webhook_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "enabled": bool(row["enabled"]),
        "created_at": iso(row["created_ms"]),
        "updated_at": iso(row["updated_ms"]),
    }


def create(conn: sqlite3.Connection, name: str, url: str, events: list[str], enabled: bool) -> dict[str, Any]:
    now = now_ms()
    webhook_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO webhooks (id, name, url, events, enabled, created_ms, updated_ms)"
        " VALUES (?,?,?,?,?,?,?)",
        (webhook_id, name, url, json.dumps(events), int(enabled), now, now),
    )
    row = get(conn, webhook_id)
    assert row is not None
    return webhook_json(row)


def get(conn: sqlite3.Connection, webhook_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
    return row


def list_all(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM webhooks ORDER BY created_ms, id").fetchall()
    return [webhook_json(r) for r in rows]


def update(conn: sqlite3.Connection, webhook_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply validated changes (name, url, events, enabled); None if there is no such webhook."""
    row = get(conn, webhook_id)
    if row is None:
        return None
    current = webhook_json(row)
    new = {**current, **changes}
    conn.execute(
        "UPDATE webhooks SET name = ?, url = ?, events = ?, enabled = ?, updated_ms = ? WHERE id = ?",
        (new["name"], new["url"], json.dumps(new["events"]), int(new["enabled"]), now_ms(), webhook_id),
    )
    updated = get(conn, webhook_id)
    assert updated is not None
    return webhook_json(updated)


def delete(conn: sqlite3.Connection, webhook_id: str) -> dict[str, Any] | None:
    row = get(conn, webhook_id)
    if row is None:
        return None
    conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))
    conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", (webhook_id,))
    return webhook_json(row)


def subscribers(conn: sqlite3.Connection, event: str) -> list[tuple[str, str]]:
    """(webhook id, url) of every enabled webhook that opted in to ``event``."""
    rows = conn.execute(
        "SELECT w.id, w.url FROM webhooks w, json_each(w.events) e"
        " WHERE w.enabled = 1 AND e.value = ? ORDER BY w.created_ms, w.id",
        (event,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A queued delivery, with its webhook's current URL (None: deleted or disabled since)."""

    id: str
    webhook_id: str
    event: str
    body: bytes
    attempts: int
    next_ms: int
    url: str | None


def enqueue(conn: sqlite3.Connection, event: str, body: bytes, now: int, limit: int) -> tuple[int, int]:
    """Queue ``body`` for every enabled webhook that opted in to ``event``, while fewer than
    ``limit`` deliveries wait. Returns (queued, dropped for the limit)."""
    targets = subscribers(conn, event)
    if not targets:
        return 0, 0
    room = max(0, limit - waiting(conn))
    conn.executemany(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, body, next_ms, created_ms)"
        " VALUES (?,?,?,?,?,?)",
        [(str(uuid.uuid4()), webhook_id, event, body, now, now) for webhook_id, _ in targets[:room]],
    )
    return min(room, len(targets)), max(0, len(targets) - room)


def upcoming(conn: sqlite3.Connection, limit: int) -> list[Delivery]:
    """The ``limit`` deliveries due first (oldest first among equally due ones)."""
    rows = conn.execute(
        "SELECT d.*, CASE WHEN w.enabled = 1 THEN w.url END AS url FROM webhook_deliveries d"
        " LEFT JOIN webhooks w ON w.id = d.webhook_id ORDER BY d.next_ms, d.created_ms LIMIT ?",
        (limit,),
    ).fetchall()
    fields = ("id", "webhook_id", "event", "body", "attempts", "next_ms", "url")
    return [Delivery(*(r[name] for name in fields)) for r in rows]


def retry_later(conn: sqlite3.Connection, delivery_id: str, attempts: int, next_ms: int) -> None:
    """Record a failed attempt; the next is due at ``next_ms``."""
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = ?, next_ms = ? WHERE id = ?",
        (attempts, next_ms, delivery_id),
    )


def finish(conn: sqlite3.Connection, delivery_id: str) -> None:
    """Remove a delivery that was made, or given up on."""
    conn.execute("DELETE FROM webhook_deliveries WHERE id = ?", (delivery_id,))


def waiting(conn: sqlite3.Connection) -> int:
    """How many deliveries are queued."""
    return int(conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0])


def due(conn: sqlite3.Connection, now: int) -> int:
    """How many queued deliveries are due at ``now``."""
    row = conn.execute("SELECT count(*) FROM webhook_deliveries WHERE next_ms <= ?", (now,)).fetchone()
    return int(row[0])
