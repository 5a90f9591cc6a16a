"""The converging message store behind ``chat.messages``.

Messages are kept in server order: by ``seq`` on rtk-widget servers, by time on
RealtimeKit (which sends no sequence numbers). Every change is applied at most
once, judged by the message's ``rev``, and deletions leave tombstones, so pushes,
replies and catch-up answers can arrive in any order and the store still ends
equal to the server's state. ``last_rev`` is the highest revision up to which
every change has been applied (the point a catch-up starts from).
"""

from __future__ import annotations

import bisect
import threading
from typing import Literal

from rtk_widget.client.messages import Message

Change = Literal["add", "edit"]
SortKey = tuple[int, int, str]


def sort_key(message: Message) -> SortKey:
    """Server order: sequence number first, then time and id (RealtimeKit has no seq)."""
    return (message.seq if message.seq is not None else 0, message.time_ms, message.id)


class MessageStore:
    """Thread-safe ordered messages, mutated on the network thread and read anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Message] = {}
        self._keys: list[SortKey] = []
        self._tombstones: set[str] = set()
        self._snapshot: list[Message] | None = []
        self.last_rev = 0
        self._revs_ahead: set[int] = set()

    # ----- reading -----

    def messages(self) -> list[Message]:
        """A copy of every message, in server order."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = [self._by_id[key[2]] for key in self._keys]
            return list(self._snapshot)

    def pinned(self) -> list[Message]:
        """The pinned messages, in server order."""
        return [m for m in self.messages() if m.pinned]

    def get(self, message_id: str) -> Message | None:
        """The message with that id, or None."""
        with self._lock:
            return self._by_id.get(message_id)

    def is_deleted(self, message_id: str) -> bool:
        """True when a deletion of that id has been applied."""
        with self._lock:
            return message_id in self._tombstones

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)

    def latest_time_ms(self) -> int:
        """The newest message time, 0 when empty (RealtimeKit catch-up starts after it)."""
        with self._lock:
            return max((m.time_ms for m in self._by_id.values()), default=0)

    # ----- changes -----

    def apply(self, message: Message) -> tuple[Change, Message | None] | None:
        """Insert or update; returns ``(change, previous)`` or None when nothing changed."""
        with self._lock:
            if message.id in self._tombstones:
                return None
            previous = self._by_id.get(message.id)
            if previous is None:
                self._by_id[message.id] = message
                bisect.insort(self._keys, sort_key(message))
                self._snapshot = None
                return "add", None
            if message.rev is not None and previous.rev is not None and message.rev <= previous.rev:
                return None
            if message == previous:
                return None
            if sort_key(message) != sort_key(previous):
                self._keys.remove(sort_key(previous))
                bisect.insort(self._keys, sort_key(message))
            self._by_id[message.id] = message
            self._snapshot = None
            return "edit", previous

    def remove(self, message_id: str) -> Message | None:
        """Apply a deletion; returns the removed message (None if it was not held)."""
        with self._lock:
            self._tombstones.add(message_id)
            previous = self._by_id.pop(message_id, None)
            if previous is not None:
                self._keys.remove(sort_key(previous))
                self._snapshot = None
            return previous

    # ----- revisions -----

    def note_rev(self, rev: int | None) -> bool:
        """Record that the change with revision ``rev`` was applied; True if a gap lies before it."""
        if not rev:
            return False
        with self._lock:
            if rev > self.last_rev:
                self._revs_ahead.add(rev)
                self._advance()
            return bool(self._revs_ahead)

    def cover(self, rev: int) -> bool:
        """A catch-up answer covered every change up to ``rev``; True if a gap remains after it."""
        with self._lock:
            if rev > self.last_rev:
                self.last_rev = rev
                self._revs_ahead = {r for r in self._revs_ahead if r > rev}
            self._advance()
            return bool(self._revs_ahead)

    def _advance(self) -> None:
        while self.last_rev + 1 in self._revs_ahead:
            self.last_rev += 1
            self._revs_ahead.discard(self.last_rev)
