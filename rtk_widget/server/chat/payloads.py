"""Chat payloads: what each payload type must hold, and the uploaded files it links.

Payload types follow the SDK (docs/protocol.md §5): 0 text, 1 image (the URL itself), 2 file
(JSON ``{"link", "name", "size"}``), 3 custom (JSON of the caller's choosing); polls (4) are
not chat messages here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from rtk_widget.wire import safe_json
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.limits import utf16_len

TEXT, IMAGE, FILE, CUSTOM = 0, 1, 2, 3
FILE_ID = re.compile(r"/files/([A-Za-z0-9_-]{20,64})(?:/|$)")
MAX_URL = 2048


class RequestRefused(Exception):
    """A refused request: becomes an ErrorMessage on event 65535."""

    def __init__(self, code: ErrorCode, message: str, retry_after_ms: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


def _http_url(value: Any) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _links(payload_type: int, payload: str) -> list[str]:
    """Every link a payload carries (image URL, file link, custom files/images/videos)."""
    if payload_type == IMAGE:
        return [payload]
    if payload_type not in (FILE, CUSTOM):
        return []
    try:
        data = safe_json.loads(payload)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    links = [data["link"]] if isinstance(data.get("link"), str) else []
    for key in ("files", "images", "videos"):
        items = data.get(key)
        for item in items if isinstance(items, list) else []:
            link = item.get("link") if isinstance(item, dict) else item
            if isinstance(link, str):
                links.append(link)
    return links


def file_ids(payload_type: int, payload: str) -> list[str]:
    found: list[str] = []
    for link in _links(payload_type, payload):
        match = FILE_ID.search(urlsplit(link).path)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def validate(payload_type: int, payload: str, *, max_text_chars: int, max_payload_chars: int) -> None:
    """Raise :class:`RequestRefused` (INVALID or TOO_LARGE) for an unacceptable payload."""
    if payload_type not in (TEXT, IMAGE, FILE, CUSTOM):
        raise RequestRefused(ErrorCode.INVALID, f"unsupported payload type {payload_type}")
    if payload_type == TEXT:
        if not payload.strip():
            raise RequestRefused(ErrorCode.INVALID, "empty message")
        if utf16_len(payload) > max_text_chars:
            raise RequestRefused(ErrorCode.TOO_LARGE, f"text is longer than {max_text_chars} characters")
        return
    if len(payload) > max_payload_chars:
        raise RequestRefused(ErrorCode.TOO_LARGE, f"payload is longer than {max_payload_chars}")
    if payload_type == IMAGE and not _http_url(payload):
        raise RequestRefused(ErrorCode.INVALID, "an image message's payload must be an http(s) URL")
    if payload_type == FILE:
        try:
            data = safe_json.loads(payload)
        except ValueError:
            data = None
        if not (
            isinstance(data, dict)
            and _http_url(data.get("link"))
            and isinstance(data.get("name"), str)
            and 0 < len(data["name"]) <= 255
            and isinstance(data.get("size"), int)
            and not isinstance(data["size"], bool)
            and data["size"] >= 0
        ):
            raise RequestRefused(
                ErrorCode.INVALID, 'a file message\'s payload must be {"link","name","size"}'
            )
    if payload_type == CUSTOM and not payload.strip():
        raise RequestRefused(ErrorCode.INVALID, "empty message")
