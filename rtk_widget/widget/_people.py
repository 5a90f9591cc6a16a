"""Who is in the meeting and how it is connected, as the widget's synced traits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtk_widget.client.connection import ConnectionInfo

from ._protocol import ConnectionDetail, Participant, SelfInfo

if TYPE_CHECKING:
    from rtk_widget.client.meeting import Meeting

SetTraits = Callable[[dict[str, Any]], None]
Report = Callable[[str, Exception], None]


def self_info(meeting: Meeting) -> SelfInfo:
    """The ``self_info`` trait: this participant and what their preset allows."""
    me = meeting.self
    permissions = me.permissions
    return {
        "user_id": me.user_id,
        "display_name": me.name,
        "permissions": {
            "can_pin": permissions.can_pin,
            "can_send": permissions.public_can_send and permissions.public_text,
            "can_send_files": permissions.public_can_send and permissions.public_files,
            "can_send_private": permissions.private_can_send,
        },
    }


def connection_detail(info: ConnectionInfo) -> ConnectionDetail:
    """The ``connection_detail`` trait for a ``socketConnectionUpdate`` payload or ``connection_info``."""
    next_at = info.next_attempt_at
    return {
        "state": info.state.value,
        "attempt": info.attempt,
        "next_attempt_at": None if next_at is None else round(next_at * 1000),
        "reason": info.reason,
    }


def participants(meeting: Meeting) -> list[Participant]:
    """The ``participants`` trait: everyone else who is joined."""
    return [{"user_id": peer.user_id, "display_name": peer.name} for peer in meeting.participants.joined]


class PeopleTraits:
    """Keeps ``self_info``, ``participants``, ``connection_state`` and ``connection_detail`` current."""

    def __init__(self, meeting: Meeting, set_traits: SetTraits, report: Report) -> None:
        self.meeting = meeting
        self._set_traits = set_traits
        self._report = report
        self._stopped = False

    def start(self) -> None:
        """Set the traits and follow the meeting's participant and connection events."""
        self.meeting.participants.on("participantJoined", self._on_people)
        self.meeting.participants.on("participantLeft", self._on_people)
        self.meeting.on("socketConnectionUpdate", self._on_connection)
        self._sync(self.meeting.connection_info)

    def stop(self) -> None:
        """Stop following the meeting."""
        self._stopped = True
        self.meeting.participants.off("participantJoined", self._on_people)
        self.meeting.participants.off("participantLeft", self._on_people)
        self.meeting.off("socketConnectionUpdate", self._on_connection)

    def _on_people(self, _: object) -> None:
        self._on_connection(self.meeting.connection_info)

    def _on_connection(self, info: ConnectionInfo) -> None:
        if self._stopped:
            return
        try:
            self._sync(info)
        except Exception as exc:
            self._report("participants update", exc)

    def _sync(self, info: ConnectionInfo) -> None:
        self._set_traits(
            {
                "self_info": self_info(self.meeting),
                "participants": participants(self.meeting),
                "connection_state": info.state.value,
                "connection_detail": connection_detail(info),
            }
        )
