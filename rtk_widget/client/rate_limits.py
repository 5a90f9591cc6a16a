"""Client-side rate limits: sliding windows like the SDK's method decorators (docs/protocol.md §5)."""

from __future__ import annotations

import collections
import threading
import time

from rtk_widget.client.errors import RateLimitedError


class SlidingWindow:
    """At most ``limit`` calls in any ``period`` seconds."""

    def __init__(self, name: str, limit: int, period: float) -> None:
        self.name = name
        self.limit = limit
        self.period = period
        self._calls: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def update(self, limit: int, period: float) -> None:
        """Change the limit (``chat.update_rate_limits``)."""
        if limit < 1 or period <= 0:
            raise ValueError("the limit must be >= 1 call in a period > 0 seconds")
        with self._lock:
            self.limit, self.period = limit, period

    def acquire(self) -> None:
        """Count one call; raises :class:`RateLimitedError` (with ``retry_after``) when over the limit."""
        now = time.monotonic()
        with self._lock:
            while self._calls and now - self._calls[0] >= self.period:
                self._calls.popleft()
            if len(self._calls) >= self.limit:
                retry_after = self.period - (now - self._calls[0])
                raise RateLimitedError(
                    f"Method rate limit of {self.name} exceeded: {self.limit} per {self.period:g} s; "
                    f"retry in {retry_after:.1f} s", retry_after=retry_after)
            self._calls.append(now)

    def release(self) -> None:
        """Give back the latest call (it was refused before reaching the server)."""
        with self._lock:
            if self._calls:
                self._calls.pop()
