"""The meeting's connection as the panel shows it, and the panel's request to reconnect."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._protocol import ConnectionDetail

if TYPE_CHECKING:
    from rtk_widget.client.meeting import Meeting


def _epoch_ms(value: object) -> int | None:
    """Epoch milliseconds from a datetime or epoch seconds (the client's clock values)."""
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1000)
    return None


def connection_detail(meeting: Meeting, update: Any = None) -> ConnectionDetail:
    """The ``connection_detail`` trait from a ``socketConnectionUpdate`` payload (or the meeting's latest)."""
    if update is None:
        update = getattr(meeting, "connection_info", None)
    state = getattr(update, "state", None) or meeting.connection_state
    reason = getattr(update, "reason", None)
    return {
        "state": str(getattr(state, "value", state)),
        "attempt": int(getattr(update, "reconnection_attempt", 0) or 0),
        "nextAttemptAt": _epoch_ms(getattr(update, "next_attempt_at", None)),
        "reason": None if reason is None else str(reason),
    }


async def reconnect(meeting: Meeting) -> None:
    """Ask the meeting to reconnect now (the panel's Reconnect button)."""
    reconnect_async = getattr(meeting, "reconnect_async", None)
    if reconnect_async is not None:
        await reconnect_async()
        return
    blocking = getattr(meeting, "reconnect", None)
    if blocking is None:
        raise NotImplementedError("this client cannot reconnect on request")
    await asyncio.to_thread(blocking)
