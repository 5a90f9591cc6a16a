"""The Chat Replay CSV format: RealtimeKit's chat dump, written by the server and read by the client."""

from __future__ import annotations

COLUMNS = ("id", "participantId", "sessionId", "meetingId", "displayName", "pinned", "isEdited",
           "payloadType", "payload", "createdAt")
"""The header line, in RealtimeKit's order."""

PAYLOAD_TYPE_NAMES = ("TEXT_MESSAGE", "IMAGE_MESSAGE", "FILE_MESSAGE", "CUSTOM_MESSAGE", "POLL_MESSAGE")
"""``payloadType`` cell values, indexed by the socket's ``payload_type`` number."""


def payload_type_name(payload_type: int) -> str:
    """The ``payloadType`` cell for a socket ``payload_type`` (unknown numbers read as custom)."""
    if 0 <= payload_type < len(PAYLOAD_TYPE_NAMES):
        return PAYLOAD_TYPE_NAMES[payload_type]
    return "CUSTOM_MESSAGE"
