"""RealtimeKit's chat limits, one definition for the server, the client and the widget.

Text length is counted in UTF-16 code units, as the web SDK counts ``message.length``.
"""

from __future__ import annotations

MAX_TEXT_LENGTH = 2000
"""Longest text message, in UTF-16 code units."""
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest image or file upload."""
TEXT_MESSAGES_PER_MINUTE = 180
"""Text (and custom) messages one participant may send in a sliding minute."""
FILE_MESSAGES_PER_MINUTE = 20
"""Image and file messages one participant may send in a sliding minute."""
RATE_WINDOW_S = 60.0
"""The sliding window the per-minute limits count over."""


def utf16_len(text: str) -> int:
    """Length as JavaScript's ``String.length`` counts it (the SDK's max-length check)."""
    return len(text.encode("utf-16-le")) // 2
