"""Shared pieces of the delivery tests: the scale knob, server-side truth, and waiting helpers.

``RTK_RELIABILITY_SCALE`` (an integer, default 1) multiplies the work of every test in this
folder: message counts, page sizes tried, and the convergence machine's examples and steps.
CI runs the default; a nightly job sets e.g. ``RTK_RELIABILITY_SCALE=10``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rtk_widget.client import Message
from rtk_widget.server import MeetingServer
from rtk_widget.server.store import messages as mq
from rtk_widget.server.store.records import MessageRecord


def scale() -> int:
    """The work multiplier from ``RTK_RELIABILITY_SCALE`` (1 when unset)."""
    raw = os.environ.get("RTK_RELIABILITY_SCALE", "1")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"RTK_RELIABILITY_SCALE must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"RTK_RELIABILITY_SCALE must be a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Shown:
    """What a participant is shown of one message: the fields every view must agree on."""

    id: str
    seq: int
    user_id: str
    text: str
    pinned: bool
    edited: bool
    target_user_ids: tuple[str, ...]


def shown_by_client(message: Message) -> Shown:
    """A client message (``chat.messages`` item) as :class:`Shown`."""
    assert message.seq is not None, f"message {message.id} has no seq"
    return Shown(message.id, message.seq, message.user_id, message.payload, message.pinned,
                 message.is_edited, tuple(message.target_user_ids))


def shown_by_server(record: MessageRecord) -> Shown:
    """A stored message as :class:`Shown`."""
    return Shown(record.id, record.seq, record.user_id, record.payload, record.pinned, record.edited,
                 tuple(record.target_user_ids))


async def visible_records(server: MeetingServer, meeting_id: str, viewer: str) -> list[MessageRecord]:
    """Every undeleted message the server would show ``viewer`` (a user id), in seq order.

    Read straight from the store, not through a socket: the oracle is independent of the
    code paths under test.
    """
    changes = await server.parts.db.read(
        lambda c: mq.changes_since(c, meeting_id, viewer, 0, 10_000_000))
    return sorted(changes.messages, key=lambda r: r.seq)


async def all_records(server: MeetingServer, meeting_id: str) -> list[MessageRecord]:
    """Every stored row of a meeting (deleted ones too), in seq order."""
    rows = await server.parts.db.read(lambda c: c.execute(
        "SELECT * FROM messages WHERE meeting_id = ? ORDER BY seq", (meeting_id,)).fetchall())
    return [MessageRecord.from_row(r) for r in rows]
