"""Error codes sent in ``socket.api.ErrorMessage.code`` on event 65535.

The numbers follow HTTP status semantics so they read well in logs. The
official SDK shows only the message; rtk-widget's client maps each code to a
typed exception.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    """Why a socket request was refused."""

    MALFORMED = 400
    """The frame or its payload could not be decoded."""
    UNAUTHORIZED = 401
    """The token is missing, invalid or expired."""
    FORBIDDEN = 403
    """The participant's preset does not allow the action."""
    NOT_FOUND = 404
    """An unknown message id, peer id or file."""
    NOT_JOINED = 409
    """The action needs the participant to have joined the room."""
    TOO_LARGE = 413
    """Text, frame or upload over its configured limit."""
    INVALID = 422
    """Well-formed but unacceptable: empty text, bad file payload, no targets."""
    RATE_LIMITED = 429
    """Too many messages in the rate window; ``retry_after_ms`` says when."""
    INTERNAL = 500
    """The server failed; nothing was stored."""
