"""The chat as data: Chat Replay CSV (RealtimeKit's dump format), pandas DataFrames, and a reader.

CSV columns: ``id, participantId, sessionId, meetingId, displayName, pinned,
isEdited, payloadType, payload, createdAt`` (``participantId`` = the sender's user
id, ``payloadType`` = ``TEXT_MESSAGE``/``IMAGE_MESSAGE``/``FILE_MESSAGE``/``CUSTOM_MESSAGE``).
The readers take the CSV itself or where to get it: a Chat Replay download URL (fetched with a
plain GET, as the URL is presigned), the answer of the SDK's ``sessions.get_session_chat``, or a
``meeting.chatSynced`` webhook event.
pandas is optional: it is imported only by the DataFrame functions.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rtk_widget.client.errors import ChatError
from rtk_widget.client.messages import FileMessage, ImageMessage, Message, TextMessage, build_message
from rtk_widget.wire.replay import COLUMNS, PAYLOAD_TYPE_NAMES, payload_type_name

DATAFRAME_COLUMNS = ("id", "type", "user_id", "display_name", "created_at", "time_ms", "pinned", "is_edited",
                     "is_private", "target_user_ids", "text", "link", "file_name", "file_size", "peer_id",
                     "seq", "rev")


def iso_ms(time_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as RealtimeKit writes times."""
    moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"


def to_replay_csv(messages: Iterable[Message], *, meeting_id: str = "", session_id: str = "") -> str:
    """The messages as a Chat Replay CSV document (CRLF line ends, like the dump)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for m in messages:
        writer.writerow([m.id, m.user_id, session_id, meeting_id, m.display_name, _bool(m.pinned),
                         _bool(m.is_edited), payload_type_name(m.payload_type), m.payload,
                         iso_ms(m.time_ms)])
    return out.getvalue()


def write_replay_csv(messages: Iterable[Message], path: str | os.PathLike[str], *, meeting_id: str = "",
                     session_id: str = "") -> Path:
    """Write :func:`to_replay_csv` to ``path`` (UTF-8); returns the path."""
    target = Path(path)
    target.write_text(to_replay_csv(messages, meeting_id=meeting_id, session_id=session_id), encoding="utf-8",
                      newline="")
    return target


def parse_created_at(value: str) -> int:
    """Epoch milliseconds from a createdAt cell: ISO with or without ``T``, fractional seconds,
    ``Z`` or an offset (naive = UTC), or epoch seconds / milliseconds."""
    text = value.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        # Epoch seconds stay below 1e11 until the year 5138; milliseconds are above it.
        return round(number if abs(number) >= 1e11 else number * 1000)
    if not text:
        raise ValueError("createdAt is empty")
    normalized = text.replace(" ", "T", 1) if "T" not in text else text
    if normalized.endswith(("Z", "z")):
        normalized = normalized[:-1] + "+00:00"
    # fromisoformat takes at most 6 fractional digits.
    normalized = re.sub(r"(\.\d{6})\d+", r"\1", normalized)
    try:
        moment = datetime.fromisoformat(normalized)
    except ValueError as exc:
        raise ValueError(f"createdAt {value!r} is not a date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


URL_KEYS = ("chat_download_url", "chatDownloadUrl")
"""Where a Chat Replay URL is: the REST answer (``data.chat_download_url``), the webhook event."""


def replay_url_of(source: Any) -> str | None:
    """The Chat Replay download URL ``source`` is or holds: an http(s) URL, the SDK's
    ``get_session_chat`` answer (or its ``data``), that answer as JSON, or a
    ``meeting.chatSynced`` event. None if it is none of these."""
    if isinstance(source, str):
        return source.strip() if re.match(r"\s*https?://\S+\s*$", source) else None
    for holder in (source, getattr(source, "data", None)):
        for key in URL_KEYS:
            found = holder.get(key) if isinstance(holder, Mapping) else getattr(holder, key, None)
            if isinstance(found, str) and found:
                return found
        if isinstance(holder, Mapping) and isinstance(holder.get("data"), Mapping):
            return replay_url_of(holder["data"])
    return None


def download_replay_csv(url: str, *, timeout: float = 30.0) -> str:
    """The CSV behind a Chat Replay URL (a plain GET: the URL carries its own signature)."""
    import httpx

    where = url.split("?", 1)[0]
    try:
        answer = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise ChatError(f"downloading the Chat Replay CSV from {where} failed: {exc}") from exc
    if answer.status_code != 200:
        hint = " (the URL may have expired: ask for a fresh one)" if answer.status_code == 403 else ""
        raise ChatError(
            f"downloading the Chat Replay CSV from {where} failed: HTTP {answer.status_code}{hint}"
        )
    return answer.content.decode("utf-8-sig")


def read_replay_csv(source: Any) -> list[Message]:
    """Messages from a Chat Replay CSV: a path, a file object, the CSV text itself, or anything
    :func:`replay_url_of` finds a download URL in (then the CSV is downloaded).

    Rows come back in file order. Raises :class:`ValueError` naming the row for
    missing columns or unreadable cells.
    """
    url = replay_url_of(source)
    if url is not None:
        source = download_replay_csv(url)
    elif not isinstance(source, str | os.PathLike) and not hasattr(source, "read"):
        raise TypeError(f"not a Chat Replay CSV, path, file or download URL: {type(source).__name__}")
    reader = csv.DictReader(_open_text(source))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"not a Chat Replay CSV: missing column(s) {', '.join(missing)}")
    messages: list[Message] = []
    for line, row in enumerate(reader, start=2):
        try:
            messages.append(_row_message(row))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"row {line}: {exc}") from exc
    return messages


def _open_text(source: str | os.PathLike[str] | IO[str]) -> IO[str]:
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                            and Path(source).is_file()):
        return io.StringIO(Path(source).read_text(encoding="utf-8-sig"))
    if isinstance(source, str):
        return io.StringIO(source.lstrip("\ufeff"))
    return source


def _row_message(row: dict[str, str]) -> Message:
    kind = row["payloadType"].strip().upper()
    if kind not in PAYLOAD_TYPE_NAMES:
        raise ValueError(f"unknown payloadType {row['payloadType']!r}")
    time_ms = parse_created_at(row["createdAt"])
    return build_message(
        PAYLOAD_TYPE_NAMES.index(kind), row["payload"], id=row["id"], user_id=row["participantId"],
        display_name=row["displayName"], time=datetime.fromtimestamp(time_ms / 1000, tz=UTC), time_ms=time_ms,
        pinned=_parse_bool(row["pinned"]), is_edited=_parse_bool(row["isEdited"]))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1", "yes", "t"):
        return True
    if text in ("false", "0", "no", "f", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("DataFrame export needs pandas: pip install 'rtk-widget[pandas]'") from None
    return pandas


def to_dataframe(messages: Iterable[Message]) -> Any:
    """A pandas DataFrame, one row per message (``created_at`` tz-aware UTC; columns in
    :data:`DATAFRAME_COLUMNS`)."""
    pandas = _pandas()
    rows = [_frame_row(m) for m in messages]
    frame = pandas.DataFrame(rows, columns=list(DATAFRAME_COLUMNS))
    frame["created_at"] = pandas.to_datetime(frame["time_ms"].astype("int64"), unit="ms", utc=True)
    for column in ("seq", "rev", "file_size"):
        frame[column] = frame[column].astype("Int64")
    return frame


def read_replay_dataframe(source: Any) -> Any:
    """:func:`read_replay_csv` as a DataFrame (a path, file, CSV text, download URL, the SDK's
    ``get_session_chat`` answer or a ``meeting.chatSynced`` event)."""
    return to_dataframe(read_replay_csv(source))


def _frame_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.id, "type": m.type, "user_id": m.user_id, "display_name": m.display_name, "created_at": None,
        "time_ms": m.time_ms, "pinned": m.pinned, "is_edited": m.is_edited, "is_private": m.is_private,
        "target_user_ids": list(m.target_user_ids),
        "text": m.message if isinstance(m, TextMessage) else None,
        "link": m.link if isinstance(m, ImageMessage | FileMessage) else None,
        "file_name": m.name if isinstance(m, FileMessage) else None,
        "file_size": m.size if isinstance(m, FileMessage) else None,
        "peer_id": m.peer_id or None, "seq": m.seq, "rev": m.rev,
    }
