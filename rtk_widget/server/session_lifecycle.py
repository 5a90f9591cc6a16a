"""Sessions over time: joins and leaves recorded, a session ended once its last participant
has been gone for the meeting's ``session_keep_alive_time_in_secs`` (else
``ServerConfig.session_keep_alive_s``), and each step queued for the webhooks in the
transaction that records it.

A rejoin within the keep-alive time continues the same session. The end is decided by
:meth:`SessionLifecycle.expire_due`, which the background timer calls when the next idle
session falls due and which a test (or the owner) may call with any time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from rtk_widget.server.config import ServerConfig
from rtk_widget.server.store import sessions as sq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import now_ms
from rtk_widget.server.webhooks import payloads as wp
from rtk_widget.server.webhooks.delivery import Occurrence, WebhookDispatcher

# Fire the timer this much after the due time, so the check, which reads the wall clock,
# never runs a hair early and has to be rescheduled.
_TIMER_SLACK_S = 0.005


def _session(c: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    row = sq.get_session(c, session_id)
    assert row is not None
    return dict(row)


def _peer(c: sqlite3.Connection, session_id: str, peer_id: str) -> dict[str, Any] | None:
    rows = sq.session_peers(c, session_id, peer_id=peer_id)
    return dict(rows[0]) if rows else None


class SessionLifecycle:
    """Records joins and leaves as sessions and ends idle sessions on time."""

    def __init__(self, config: ServerConfig, db: Database, webhooks: WebhookDispatcher) -> None:
        self.config = config
        self.db = db
        self.webhooks = webhooks
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due_ms: int | None = None
        self._checks: set[asyncio.Task[list[str]]] = set()

    async def join(self, peer: sq.PeerJoin) -> str:
        """Record a join (starting a session, or continuing one in its keep-alive time)."""

        def write(c: sqlite3.Connection) -> str:
            session_id, started = sq.join(c, peer)
            session, row = _session(c, session_id), _peer(c, session_id, peer.peer_id)
            if started:
                self.webhooks.enqueue(c, Occurrence(wp.MEETING_STARTED, session))
            if row is not None:
                self.webhooks.enqueue(c, Occurrence(wp.PARTICIPANT_JOINED, session, row))
            return session_id

        session_id = await self.db.write(write)
        self.webhooks.wake()
        return session_id

    async def leave(self, session_id: str, peer_id: str) -> None:
        """Record a leave; the last one starts the session's keep-alive time."""

        def write(c: sqlite3.Connection) -> bool:
            idle = sq.leave(c, session_id, peer_id)
            row = _peer(c, session_id, peer_id)
            if row is not None:
                self.webhooks.enqueue(c, Occurrence(wp.PARTICIPANT_LEFT, _session(c, session_id), row))
            return idle

        idle = await self.db.write(write)
        self.webhooks.wake()
        if idle:
            await self.expire_due()  # a keep-alive of 0 ends it now; otherwise this sets the timer

    async def expire_due(self, at_ms: int | None = None) -> list[str]:
        """End every session idle past its keep-alive at ``at_ms`` (default: now); returns
        their ids, and sets the timer for the next idle session."""
        at = now_ms() if at_ms is None else at_ms
        default = self.config.session_keep_alive_s

        def write(c: sqlite3.Connection) -> tuple[list[str], int | None]:
            ended, next_due = sq.end_idle(c, at, default)
            self._ended(c, ended)
            return ended, next_due

        ended, next_due = await self.db.write(write)
        self.webhooks.wake()
        self._schedule(next_due)
        return ended

    async def end_all(self) -> list[str]:
        """End every live session now (the server is stopping and nobody is connected)."""
        self._cancel_timer()

        def write(c: sqlite3.Connection) -> list[str]:
            ended = sq.end_all(c)
            self._ended(c, ended)
            return ended

        ended = await self.db.write(write)
        self.webhooks.wake()
        while self._checks:
            await asyncio.wait(set(self._checks))
        return ended

    def _ended(self, c: sqlite3.Connection, session_ids: list[str]) -> None:
        """Queue the webhooks of ended sessions, in the transaction that ended them."""
        for session_id in session_ids:
            session = _session(c, session_id)
            self.webhooks.enqueue(c, Occurrence(wp.MEETING_ENDED, session))
            self.webhooks.enqueue(c, Occurrence(wp.CHAT_SYNCED, session))

    def _schedule(self, due_ms: int | None) -> None:
        if due_ms is None or (self._timer is not None and self._timer_due_ms == due_ms):
            return
        self._cancel_timer()
        delay = max(0.0, (due_ms - now_ms()) / 1000) + _TIMER_SLACK_S
        self._timer_due_ms = due_ms
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_due_ms = None
        task = asyncio.create_task(self.expire_due())
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_due_ms = None
