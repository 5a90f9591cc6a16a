"""Waiting on client events without sleeps, and reading the server's own view of a chat."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from rtk_widget.client import Backoff, Meeting
from rtk_widget.server import MeetingServer
from rtk_widget.server.store import messages as mq

from .proxy import FaultProxy

FAST = Backoff(base=0.01, cap=0.05, max_attempts=1000)
"""Reconnection backoff for tests: quick, and never giving up."""


def through(proxy: FaultProxy, token: str, *, backoff: Backoff = FAST, **options: Any) -> Meeting:
    """A meeting reached through ``proxy``, without the client's own send rate limit."""
    meeting = Meeting(token, base_url=proxy.base_url, backoff=backoff, **options)
    meeting.chat.update_rate_limits(1_000_000, 60)
    return meeting


def wait_until(target: Any, event: str, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Block until ``condition()`` holds, re-checking each time ``target`` fires ``event``."""
    done = threading.Event()

    def check(_: Any) -> None:
        if condition():
            done.set()

    target.on(event, check)
    try:
        if not condition():
            assert done.wait(timeout), f"timed out waiting for {event} to satisfy the condition"
    finally:
        target.off(event, check)


async def wait_until_async(target: Any, event: str, condition: Callable[[], bool],
                           within: float = 30.0) -> None:
    """:func:`wait_until` for async tests (waits without blocking the test's loop)."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def check(_: Any) -> None:
        if condition():
            loop.call_soon_threadsafe(done.set)

    target.on(event, check)
    try:
        if not condition():
            await asyncio.wait_for(done.wait(), within)
    finally:
        target.off(event, check)


class Recorder:
    """Collects every payload of one event, with the thread each callback ran on."""

    def __init__(self, target: Any, event: str) -> None:
        self.payloads: list[Any] = []
        self.threads: list[str] = []
        self._changed = threading.Condition()
        target.on(event, self._record)

    def _record(self, payload: Any) -> None:
        with self._changed:
            self.payloads.append(payload)
            self.threads.append(threading.current_thread().name)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        """Block until at least ``count`` payloads arrived."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.payloads) >= count, timeout), (
                f"expected {count} events, got {len(self.payloads)}")
            return list(self.payloads)


async def server_history(server: MeetingServer, meeting_id: str, viewer: str) -> list[tuple[str, str]]:
    """``(id, payload)`` of every message the server holds for ``viewer``, in seq order."""
    changes = await server.parts.db.read(lambda c: mq.changes_since(c, meeting_id, viewer, 0, 1_000_000))
    return [(r.id, r.payload) for r in sorted(changes.messages, key=lambda r: r.seq)]


def client_history(meeting: Meeting) -> list[tuple[str, str]]:
    """``(id, payload)`` of the client's ``chat.messages``, in its order."""
    return [(m.id, m.payload) for m in meeting.chat.messages]


def run_cell(client: Any, code: str, *, on_busy: Any = None, timeout: float = 60.0) -> str:
    """Execute ``code``; returns its stdout. ``on_busy`` runs once the kernel started the cell."""
    msg_id = client.execute(code)
    out: list[str] = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "busy" and on_busy is not None:
            on_busy()
        elif kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)
