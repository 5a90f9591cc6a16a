"""The feed log: what the front end can page through, and numbered changes to it.

Pure data, no widget and no I/O. Messages are kept in server order (their
``order`` key); every change is a numbered delta (the feed sequence) and the
most recent deltas stay in a bounded ring so a front end that missed a few
pushes can catch up without reloading. Appending costs the same whatever the
history length: a delta carries one message, never the log.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from typing import NamedTuple

from ._protocol import Delta, RemoveDelta, UpsertDelta, WireMessage

DEFAULT_RING_SIZE = 1024


class Page(NamedTuple):
    """A window of messages in ascending order."""

    messages: list[WireMessage]
    has_more: bool
    """Whether more messages exist beyond the page, in the direction it was read
    (older ones for :meth:`FeedLog.page`, newer ones for :meth:`FeedLog.page_after`)."""


class FeedLog:
    """Messages in server order plus a numbered, bounded history of changes.

    Parameters
    ----------
    ring_size:
        How many recent deltas are kept for :meth:`since`. Older gaps are
        answered with ``None``, which tells the front end to reload.
    """

    def __init__(self, ring_size: int = DEFAULT_RING_SIZE) -> None:
        if ring_size < 1:
            raise ValueError(f"ring_size must be at least 1, got {ring_size}")
        self._by_id: dict[str, WireMessage] = {}
        self._keys: list[tuple[int, str]] = []
        self._seq = 0
        self._ring: deque[Delta] = deque(maxlen=ring_size)
        self._links: dict[str, str] = {}

    @property
    def feed_seq(self) -> int:
        """The number of the latest delta (0 before any change)."""
        return self._seq

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._by_id

    def get(self, message_id: str) -> WireMessage | None:
        """Return the message with this id, or None."""
        return self._by_id.get(message_id)

    def message_with_link(self, link: str) -> WireMessage | None:
        """Return the message whose attachment is at ``link``, or None."""
        message_id = self._links.get(link)
        return None if message_id is None else self._by_id.get(message_id)

    def messages(self) -> list[WireMessage]:
        """Return every message in ascending order."""
        return [self._by_id[key[1]] for key in self._keys]

    def reset(self, messages: list[WireMessage]) -> None:
        """Replace the whole log; earlier deltas can no longer be caught up on."""
        self._by_id = {m["id"]: m for m in messages}
        self._keys = sorted((m["order"], m["id"]) for m in self._by_id.values())
        self._links = {m["link"]: m["id"] for m in self._by_id.values() if "link" in m}
        self._seq += 1
        self._ring.clear()

    def upsert(self, message: WireMessage) -> UpsertDelta:
        """Add or replace a message and return the delta recording it."""
        previous = self._by_id.get(message["id"])
        if previous is None:
            self._insert_key((message["order"], message["id"]))
        elif previous["order"] != message["order"]:
            self._remove_key((previous["order"], previous["id"]))
            self._insert_key((message["order"], message["id"]))
        if previous is not None and "link" in previous:
            self._links.pop(previous["link"], None)
        if "link" in message:
            self._links[message["link"]] = message["id"]
        self._by_id[message["id"]] = message
        delta: UpsertDelta = {"op": "upsert", "message": message}
        self._record(delta)
        return delta

    def remove(self, message_id: str) -> RemoveDelta | None:
        """Drop a message; returns None (and records nothing) if it is unknown."""
        previous = self._by_id.pop(message_id, None)
        if previous is None:
            return None
        self._remove_key((previous["order"], message_id))
        if "link" in previous:
            self._links.pop(previous["link"], None)
        delta: RemoveDelta = {"op": "remove", "id": message_id}
        self._record(delta)
        return delta

    def since(self, after: int) -> list[Delta] | None:
        """Return the deltas numbered after ``after``, or None if they are gone."""
        if after == self._seq:
            return []
        oldest = self._seq - len(self._ring) + 1
        if after > self._seq or after + 1 < oldest:
            return None
        return list(self._ring)[after + 1 - oldest :]

    def page(self, before: int | None, limit: int) -> Page:
        """Return up to ``limit`` messages whose order is below ``before``.

        ``before=None`` means the newest messages.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        end = len(self._keys) if before is None else bisect_left(self._keys, (before, ""))
        start = max(0, end - limit)
        return Page([self._by_id[key[1]] for key in self._keys[start:end]], start > 0)

    def page_after(self, after: int | None, limit: int) -> Page:
        """Return up to ``limit`` messages whose order is above ``after``, ascending.

        ``after=None`` means from the oldest message.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        # Orders are integers, so every key of order `after` sorts below (after + 1, "").
        start = 0 if after is None else bisect_left(self._keys, (after + 1, ""))
        end = min(len(self._keys), start + limit)
        return Page([self._by_id[key[1]] for key in self._keys[start:end]], end < len(self._keys))

    def pinned(self) -> list[WireMessage]:
        """Return every pinned message, oldest first."""
        return [message for message in self.messages() if message["pinned"]]

    def _record(self, delta: Delta) -> None:
        self._seq += 1
        self._ring.append(delta)

    def _insert_key(self, key: tuple[int, str]) -> None:
        # Live messages arrive in order, so the common case is a cheap append.
        if not self._keys or key > self._keys[-1]:
            self._keys.append(key)
        else:
            insort(self._keys, key)

    def _remove_key(self, key: tuple[int, str]) -> None:
        index = bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            del self._keys[index]
