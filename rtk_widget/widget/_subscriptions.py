"""Callbacks registered with ``on_message``/``on_change``, and the handle that removes one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription:
    """A handle returned by ``on_message``/``on_change``: call it (or ``.unsubscribe()``) to stop."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def unsubscribe(self) -> None:
        """Stop the callbacks; calling it again does nothing."""
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __call__(self) -> None:
        self.unsubscribe()


class Subscribers(Generic[T]):
    """A thread-safe list of callbacks taking one ``T``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[T], object]] = []

    def add(self, callback: Callable[[T], object]) -> Subscription:
        """Register ``callback``; the returned handle removes it."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return Subscription(remove)

    def snapshot(self) -> list[Callable[[T], object]]:
        """The callbacks registered now (safe to call while others subscribe)."""
        with self._lock:
            return list(self._callbacks)

    def clear(self) -> None:
        """Remove every callback."""
        with self._lock:
            self._callbacks.clear()
