"""Sliding-window rate limits per participant (RealtimeKit: 180 texts and 20 files a minute)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class KeyedRateLimit:
    """At most ``limit`` events per ``window_s`` seconds for each key."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> int:
        """Take one slot: 0 if allowed, else the milliseconds until one frees up."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if len(events) >= self.limit:
            return max(1, int((events[0] + self.window_s - now) * 1000) + 1)
        events.append(now)
        return 0

    def release(self, key: str) -> None:
        """Give back the newest slot (the action it was taken for did not happen)."""
        events = self._events.get(key)
        if events:
            events.pop()

    def forget(self, key: str) -> None:
        self._events.pop(key, None)
