"""A peer's outbound frames, written to its socket in order, straight away when it can take them.

Frames queued for any peer during one turn of the event loop are written by a single callback
at the end of that turn (:class:`FlushSchedule`): one system call per peer for all of its
frames (a group commit settles many sends in one turn), and no task switch. Only a peer whose
transport is full (it reads slower than the meeting talks) falls back to its drain task, which
waits until the transport drains. Before, a writer task per peer was woken for every frame;
profiled at ten participants that wake-up was the largest cost of a fan-out after the socket
writes themselves.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_FRAMES_PER_WRITE = 64  # bounds the bytes joined for one transport write


@dataclass(slots=True)
class Close:
    """Close the socket with this code and reason once the frames before it are written."""

    code: int
    reason: str


class FrameWriter(Protocol):
    """A socket's frame writer (see ``batched_send``)."""

    def ready(self) -> bool:
        """True when the transport takes more bytes without waiting."""

    def write_frames(self, frames: Sequence[bytes | str]) -> None:
        """Frame and write ``frames`` now; raises ``OSError`` once the peer has gone."""

    async def wait_ready(self) -> None:
        """Return once :meth:`ready` (or the peer has gone)."""

    def has_unread(self) -> bool:
        """True when messages from the peer are waiting to be read."""


class FlushSchedule:
    """Flushes, once per turn of the event loop, every outbox that got frames in that turn."""

    def __init__(self) -> None:
        self._due: list[Outbox] = []

    def mark(self, outbox: Outbox) -> None:
        if not self._due:
            asyncio.get_running_loop().call_soon(self._flush)
        self._due.append(outbox)

    def flush_now(self) -> None:
        """Write every outbox filled so far, without waiting for the end of the turn (a reader
        with nothing more to read calls this: its replies need not wait for other work)."""
        self._flush()

    def _flush(self) -> None:
        due, self._due = self._due, []
        for outbox in due:
            outbox.flush()


class Outbox:
    """At most ``limit`` frames waiting for one peer, then an optional close."""

    def __init__(self, limit: int, schedule: FlushSchedule) -> None:
        self._frames: deque[bytes | str] = deque()
        self._limit = limit
        self._schedule = schedule
        self._writer: FrameWriter | None = None
        self._backlogged = True  # the drain task writes (until it has started, and while full)
        self._wake = asyncio.Event()
        self.closing: Close | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: bytes | str) -> bool:
        """Queue ``frame``; False (and nothing queued) when ``limit`` frames already wait."""
        if len(self._frames) >= self._limit:
            return False
        self._frames.append(frame)
        if len(self._frames) == 1:
            if self._backlogged:
                self._wake.set()
            else:
                self._schedule.mark(self)
        return True

    def close(self, code: int, reason: str) -> None:
        """Write what is queued, then close the socket with ``code`` and ``reason``."""
        if len(self._frames) >= self._limit:
            self._frames.pop()  # room for the close: a peer this far behind misses the rest anyway
        self.closing = Close(code, reason)
        self._backlogged = True
        self._wake.set()

    def flush(self) -> None:
        """Write every queued frame now if the transport takes them, else leave it to the drain."""
        if self._backlogged or not self._frames:
            return
        writer = self._writer
        try:
            if writer is not None and writer.ready():
                while self._frames:
                    writer.write_frames(self._take())
                return
        except Exception:  # the drain task meets the same failure and ends the peer
            pass
        self._backlogged = True
        self._wake.set()

    async def drain(self, writer: FrameWriter, close: Callable[[int, str], Awaitable[None]]) -> None:
        """The peer's writer task: writes whatever flushing could not, and finally the close.

        Raises ``OSError`` (or ``RuntimeError``) when the socket can no longer be written."""
        self._writer = writer
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._frames:
                await writer.wait_ready()
                writer.write_frames(self._take())
            if self.closing is not None:
                await close(self.closing.code, self.closing.reason)
                return
            self._backlogged = False

    def _take(self) -> list[bytes | str]:
        count = min(len(self._frames), MAX_FRAMES_PER_WRITE)
        return [self._frames.popleft() for _ in range(count)]
