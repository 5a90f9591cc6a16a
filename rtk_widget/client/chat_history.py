"""The converging message store behind ``chat.messages``.

Messages are kept in server order: by ``seq`` on rtk-widget servers, by time on
RealtimeKit (which sends no sequence numbers). Every change is applied at most
once, judged by the message's ``rev``, and deletions leave tombstones, so pushes,
replies and catch-up answers can arrive in any order and the store still ends
equal to the server's state. ``last_rev`` is the highest revision up to which
every change has been applied (the point a catch-up starts from).

Readers that follow every change (the widget) take :meth:`MessageStore.view`
snapshots: immutable, taken in constant time, and cheap to keep. The ordered
list behind them is copied on write, except for the common change, a message
newer than all others, which is appended in place: a view remembers its
length, so an append never shows through an older view. So a new message costs
the same whatever the history length; an edit, pin or deletion costs one copy.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Literal, overload

from rtk_widget.client.chat_requests import MessagePage
from rtk_widget.client.messages import Message

Change = Literal["add", "edit"]
SortKey = tuple[int, str]


def order_of(message: Message) -> int:
    """The message's place in the chat: the server's sequence number.

    RealtimeKit's servers send no sequence number; their messages sort by time.
    """
    return message.seq if message.seq is not None else message.time_ms


def sort_key(message: Message) -> SortKey:
    """Server order: the order (sequence number, or time on RealtimeKit), then the id."""
    return (order_of(message), message.id)


class MessagesView(Sequence[Message]):
    """An immutable snapshot of a store's messages, in server order.

    It compares equal to a list (or any sequence) with the same messages; two
    views of one store compare by the change they were taken at, in constant time.
    """

    __slots__ = ("_items", "_length", "_origin", "_version")

    def __init__(self, items: list[Message], length: int, origin: object = None, version: int = 0) -> None:
        self._items = items
        self._length = length
        self._origin = origin
        self._version = version

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Message: ...

    @overload
    def __getitem__(self, index: slice) -> list[Message]: ...

    def __getitem__(self, index: int | slice) -> Message | list[Message]:
        if isinstance(index, slice):
            return self._items[: self._length][index]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("message index out of range")
        return self._items[index]

    def __iter__(self) -> Iterator[Message]:
        return itertools.islice(self._items, self._length)

    def __reversed__(self) -> Iterator[Message]:
        return (self._items[i] for i in range(self._length - 1, -1, -1))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MessagesView) and other._origin is self._origin and self._origin is not None:
            return other._version == self._version
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(other) == self._length and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class MessageStore:
    """Thread-safe ordered messages, mutated on the network thread and read anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Message] = {}
        self._keys: list[SortKey] = []
        self._ordered: list[Message] = []
        """Parallel to ``_keys``; shared with views once handed out (see the module docstring)."""
        self._shared = False
        self._pinned_origin = object()
        self._pinned: MessagesView = MessagesView([], 0, self._pinned_origin, 0)
        self._version = 0
        self._tombstones: set[str] = set()
        self.last_rev = 0
        self._revs_ahead: set[int] = set()

    # ----- reading -----

    def messages(self) -> list[Message]:
        """A copy of every message, in server order."""
        with self._lock:
            return list(self._ordered)

    def view(self) -> MessagesView:
        """An immutable snapshot of every message, in server order (constant time)."""
        with self._lock:
            self._shared = True
            return MessagesView(self._ordered, len(self._ordered), self, self._version)

    def pinned_view(self) -> MessagesView:
        """An immutable snapshot of the pinned messages; a new one only when they changed."""
        with self._lock:
            return self._pinned

    def pinned(self) -> list[Message]:
        """The pinned messages, in server order."""
        return list(self.pinned_view())

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

    def page_before(self, before: int | None, limit: int) -> MessagePage:
        """Up to ``limit`` messages whose order is below ``before`` (None: the newest)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        with self._lock:
            end = len(self._keys) if before is None else bisect.bisect_left(self._keys, (before, ""))
            start = max(0, end - limit)
            return MessagePage(self._ordered[start:end], start > 0)

    def page_after(self, after: int | None, limit: int) -> MessagePage:
        """Up to ``limit`` messages whose order is above ``after`` (None: from the oldest)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        with self._lock:
            # Orders are integers, so every key of order `after` sorts below (after + 1, "").
            start = 0 if after is None else bisect.bisect_left(self._keys, (after + 1, ""))
            end = min(len(self._keys), start + limit)
            return MessagePage(self._ordered[start:end], end < len(self._keys))

    # ----- changes -----

    def apply(self, message: Message) -> tuple[Change, Message | None] | None:
        """Insert or update; returns ``(change, previous)`` or None when nothing changed."""
        with self._lock:
            if message.id in self._tombstones:
                return None
            previous = self._by_id.get(message.id)
            if previous is None:
                self._insert(message)
                self._changed(message, None)
                return "add", None
            if message.rev is not None and previous.rev is not None and message.rev <= previous.rev:
                return None
            if message == previous:
                return None
            if message.envelope_id is None and previous.envelope_id is not None:
                # An edit keeps the id of the send that created the message (equality ignores it).
                message = replace(message, envelope_id=previous.envelope_id)
            if sort_key(message) == sort_key(previous):
                self._writable()[self._index_of(previous)] = message
            else:
                self._delete(previous)
                self._insert(message)
            self._by_id[message.id] = message
            self._changed(message, previous)
            return "edit", previous

    def remove(self, message_id: str) -> Message | None:
        """Apply a deletion; returns the removed message (None if it was not held)."""
        with self._lock:
            self._tombstones.add(message_id)
            previous = self._by_id.pop(message_id, None)
            if previous is not None:
                self._delete(previous)
                self._changed(None, previous)
            return previous

    def _insert(self, message: Message) -> None:
        key = sort_key(message)
        self._by_id[message.id] = message
        if not self._keys or key > self._keys[-1]:
            # Appending never shows through a view: views end at their own length.
            self._keys.append(key)
            self._ordered.append(message)
            return
        index = bisect.bisect_left(self._keys, key)
        self._keys.insert(index, key)
        self._writable().insert(index, message)

    def _delete(self, message: Message) -> None:
        index = self._index_of(message)
        del self._keys[index]
        del self._writable()[index]

    def _index_of(self, message: Message) -> int:
        return bisect.bisect_left(self._keys, sort_key(message))

    def _writable(self) -> list[Message]:
        """The ordered list, copied first if a view holds it (copy on write)."""
        if self._shared:
            self._ordered = list(self._ordered)
            self._shared = False
        return self._ordered

    def _changed(self, message: Message | None, previous: Message | None) -> None:
        self._version += 1
        if (message is not None and message.pinned) or (previous is not None and previous.pinned):
            pinned = [m for m in self._ordered if m.pinned]
            self._pinned = MessagesView(pinned, len(pinned), self._pinned_origin, self._version)

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
