"""The meeting's connection as the panel's ``connection_detail`` trait."""

from __future__ import annotations

from rtk_widget.client.connection import ConnectionInfo

from ._protocol import ConnectionDetail


def connection_detail(info: ConnectionInfo) -> ConnectionDetail:
    """The trait's value for a ``socketConnectionUpdate`` payload (or ``meeting.connection_info``)."""
    next_at = info.next_attempt_at
    return {
        "state": info.state.value,
        "attempt": info.attempt,
        "nextAttemptAt": None if next_at is None else round(next_at * 1000),
        "reason": info.reason,
    }
