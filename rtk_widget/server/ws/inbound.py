"""A socket's binary messages, handled as they are parsed: in order, with no task or turn each.

The protocol (``batched_send``) hands each message to :class:`InboundFrames` while it is
:meth:`~InboundFrames.ready`; its dispatch starts at once (:func:`start_eagerly`) and most
finish there (an in-memory write, a pipelined write once queued). One that has to wait stays
in flight, and until it is done later messages go to the read loop's queue, which waits for it
before taking the next: the meeting still sees each socket's requests in the order they came.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from rtk_widget.server.ws.eager import start_eagerly
from rtk_widget.server.ws.outbox import FlushSchedule
from rtk_widget.server.ws.rooms import Connection

log = logging.getLogger(__name__)

Dispatch = Callable[[Connection, bytes], Coroutine[Any, Any, None]]


class InboundFrames:
    """One connection's :class:`~rtk_widget.server.ws.batched_send.FrameSink`."""

    def __init__(self, conn: Connection, dispatch: Dispatch, flushes: FlushSchedule) -> None:
        self._conn = conn
        self._dispatch = dispatch
        self._flushes = flushes

    def ready(self) -> bool:
        conn = self._conn
        return not conn.closed and not conn.dispatching and conn.inflight is None

    def receive(self, data: bytes) -> None:
        running = start_eagerly(self._dispatch(self._conn, data))
        if running.done():
            _report(running)
            return
        self._conn.inflight = running
        running.add_done_callback(self._finished)

    def received_all(self) -> None:
        # What this read's requests caused goes out now, like the read loop's replies when it
        # has nothing left to read.
        self._flushes.flush_now()

    def _finished(self, running: asyncio.Future[None]) -> None:
        self._conn.inflight = None
        _report(running)


def _report(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("handling a message failed", exc_info=done.exception())
