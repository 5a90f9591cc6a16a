"""Webhook registrations: Cloudflare's Webhook object, stored one row per webhook."""

from __future__ import annotations

import json
import sqlite3
import uuid
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
    return webhook_json(row)


def subscribers(conn: sqlite3.Connection, event: str) -> list[tuple[str, str]]:
    """(webhook id, url) of every enabled webhook that opted in to ``event``."""
    rows = conn.execute(
        "SELECT w.id, w.url FROM webhooks w, json_each(w.events) e"
        " WHERE w.enabled = 1 AND e.value = ? ORDER BY w.created_ms, w.id",
        (event,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
