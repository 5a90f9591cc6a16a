"""Small helpers shared by the chat API: request building, targets, timestamps, pages."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from rtk_widget.client.errors import (
    EmptyMessageError,
    InvalidMessageError,
    PermissionDeniedError,
    TextTooLongError,
)
from rtk_widget.client.messages import Message, from_proto
from rtk_widget.client.participants import Participant, SelfParticipant
from rtk_widget.wire import chat_pb2 as pb
from rtk_widget.wire.limits import utf16_len

Direction = Literal["before", "after"]
Timestamp = datetime | int | float | None
"""A datetime (naive means UTC), epoch milliseconds (int), or None for now."""


@dataclass(frozen=True, slots=True)
class MessagePage:
    """One page of fetched messages, in the server's order; ``next`` is true when more exist."""

    messages: list[Message]
    next: bool

    @property
    def has_more(self) -> bool:
        """Alias of ``next``."""
        return self.next

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)


LATEST_AHEAD_MS = 60_000
"""How far ahead of the clock ``timestamp=None`` reaches when it asks for the newest messages.

A server that keeps message times strictly increasing (rtk-widget's does, so that a time is an
exact page cursor) stamps a burst of messages sent within one millisecond a few milliseconds
ahead of the clock; "before now" would miss the newest of them right after they were acked. A
bound a minute ahead covers such a burst, and on a server without such stamps it means "now"."""


def to_epoch_ms(timestamp: Timestamp, direction: Direction = "after") -> int:
    """Milliseconds since the epoch for a fetch's ``timestamp`` (``None``: now, or for
    ``"before"``, the newest messages)."""
    if timestamp is None:
        now = int(time.time() * 1000)
        return now + LATEST_AHEAD_MS if direction == "before" else now
    if isinstance(timestamp, datetime):
        aware = timestamp if timestamp.tzinfo is not None else timestamp.replace(tzinfo=UTC)
        return int(aware.timestamp() * 1000)
    if isinstance(timestamp, bool) or timestamp < 0:
        raise ValueError(f"timestamp must be a datetime or epoch milliseconds, got {timestamp!r}")
    return int(timestamp)


def page_request(timestamp: Timestamp, limit: int, direction: Direction, *, pinned: bool = False,
                 user_id: str | None = None) -> pb.GetPaginatedChatMessageRoomRequest:
    """The SDK's page request: ``reversed = direction == "before"``, ``from`` always 0."""
    if direction not in ("before", "after"):
        raise ValueError(f'direction must be "before" or "after", got {direction!r}')
    if limit < 1:
        raise ValueError("limit must be at least 1")
    request = pb.GetPaginatedChatMessageRoomRequest(time_stamp=to_epoch_ms(timestamp, direction), size=limit,
                                                    reversed=direction == "before")
    if pinned:
        request.filters.pinned = True
    elif user_id is not None:
        request.filters.user_id = user_id
    return request


def parse_page(payload: bytes) -> MessagePage:
    """A page answer as typed messages."""
    page = pb.GetPaginatedChatMessageRoomResponse()
    page.ParseFromString(payload)
    return MessagePage([from_proto(p) for p in page.messages], page.next)


def target_peer_ids(peer_ids: Sequence[str | Participant], own_peer_id: str) -> list[str]:
    """Peer ids of a private message, with the sender's own peer id appended like the SDK."""
    if isinstance(peer_ids, str):
        raise TypeError("peer_ids must be a list of peer ids (or Participants), not a single string")
    targets: list[str] = []
    for peer in peer_ids:
        peer_id = peer.id if isinstance(peer, Participant) else peer
        if peer_id != own_peer_id and peer_id not in targets:
            targets.append(peer_id)
    if not targets:
        raise InvalidMessageError("a private message needs at least one other participant in peer_ids")
    return [*targets, own_peer_id]


def check_text(text: str, limit: int) -> None:
    """The SDK's checks before sending or editing text: not empty, at most ``limit`` long."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise EmptyMessageError("the message is empty")
    if utf16_len(text) > limit:
        raise TextTooLongError(f"the message is {utf16_len(text)} characters long; the limit is {limit}")


def check_permission(me: SelfParticipant, payload_type: int, private: bool) -> None:
    """The SDK's client-side permission check (it only logs image/file refusals; we raise)."""
    if not me.permissions.allows(payload_type, private):
        scope = "private" if private else "public"
        kind = "text" if payload_type == 0 else "files and images"
        raise PermissionDeniedError(f"your preset ({me.preset_name}) may not send {kind} in {scope} chat")
