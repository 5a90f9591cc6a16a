"""What a replay can be made from, turned into the session's messages in chat order.

A replay takes messages (a list, ``widget.messages``, a :class:`~rtk_widget.cloudflare.SessionChat`),
a pandas DataFrame (the one :func:`~rtk_widget.client.export.to_dataframe` makes, or a Chat
Replay CSV read with ``pandas.read_csv``), or anything
:func:`~rtk_widget.client.export.read_replay_csv` reads: a path, the CSV text, a download URL,
the SDK's ``get_session_chat`` answer or a ``meeting.chatSynced`` event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rtk_widget.client.chat_history import sort_key
from rtk_widget.client.export import DATAFRAME_COLUMNS, read_replay_csv
from rtk_widget.client.messages import (
    BaseMessage,
    CustomMessage,
    FileMessage,
    ImageMessage,
    Message,
    TextMessage,
    time_from_ms,
)
from rtk_widget.wire.replay import COLUMNS

FRAME_NEEDS = ("id", "type", "user_id", "display_name", "time_ms")
"""The DataFrame columns a replay cannot do without (the rest default)."""


def replay_messages(source: object, *, api: str) -> list[Message]:
    """The messages of ``source``, sorted in chat order; ``api`` names the caller in errors."""
    messages = _messages_of(source, api)
    return sorted(messages, key=sort_key)


def _messages_of(source: object, api: str) -> list[Message]:
    held = getattr(source, "messages", None)
    if isinstance(held, Sequence) and not isinstance(source, Mapping):
        return _checked(held, api)
    if _is_frame(source):
        return _frame_messages(source, api)
    if isinstance(source, Sequence) and not isinstance(source, str | bytes):
        return _checked(source, api)
    try:
        return read_replay_csv(source)
    except TypeError:
        raise TypeError(
            f"{api} takes messages, a DataFrame, a Chat Replay CSV (path, text or download URL), "
            f"the SDK's get_session_chat answer or a chatSynced event; got {type(source).__name__}"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{api}: {exc}") from exc


def _checked(items: Iterable[object], api: str) -> list[Message]:
    messages: list[Message] = []
    for index, item in enumerate(items):
        if not isinstance(item, BaseMessage):
            raise TypeError(f"{api}: item {index} is a {type(item).__name__}, not a chat message")
        messages.append(item)  # type: ignore[arg-type]  # every BaseMessage subclass is in Message
    return messages


def _is_frame(source: object) -> bool:
    return hasattr(source, "columns") and hasattr(source, "to_dict")


def _frame_messages(frame: Any, api: str) -> list[Message]:
    columns = [str(c) for c in frame.columns]
    if all(c in columns for c in COLUMNS) and "time_ms" not in columns:
        # A Chat Replay CSV read with pandas: let the CSV reader parse its cells.
        return read_replay_csv(frame[list(COLUMNS)].to_csv(index=False))
    missing = [c for c in FRAME_NEEDS if c not in columns]
    if missing:
        raise ValueError(
            f"{api}: the DataFrame lacks column(s) {', '.join(missing)}; it needs the columns of "
            f"to_dataframe() ({', '.join(DATAFRAME_COLUMNS)}) or of a Chat Replay CSV"
        )
    messages: list[Message] = []
    for index, row in enumerate(frame.to_dict("records")):
        try:
            messages.append(_row_message(row))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{api}: DataFrame row {index}: {exc}") from exc
    return messages


def _row_message(row: dict[str, Any]) -> Message:
    time_ms = _int(row["time_ms"], "time_ms")
    if time_ms is None:
        raise ValueError("time_ms is empty")
    base: dict[str, Any] = {
        "id": _text(row["id"]),
        "user_id": _text(row["user_id"]),
        "display_name": _text(row["display_name"]),
        "time": time_from_ms(time_ms),
        "time_ms": time_ms,
        "pinned": bool(_present(row.get("pinned")) or False),
        "is_edited": bool(_present(row.get("is_edited")) or False),
        "target_user_ids": _user_ids(row.get("target_user_ids")),
        "seq": _int(row.get("seq"), "seq"),
    }
    if not base["id"]:
        raise ValueError("id is empty")
    kind = _text(row["type"])
    link = _text(row.get("link"))
    if kind == "text":
        return TextMessage(message=_text(row.get("text")), **base)
    if kind == "image":
        return ImageMessage(link=link, **base)
    if kind == "file":
        size = _int(row.get("file_size"), "file_size") or 0
        return FileMessage(link=link, name=_text(row.get("file_name")), size=size, **base)
    if kind in ("custom", "poll"):
        raw = _text(row.get("text"))
        data = {"message": raw} if raw else {}
        return CustomMessage(raw=raw, kind="poll" if kind == "poll" else "custom", data=data, **base)
    raise ValueError(f"unknown message type {kind!r}")


def _user_ids(value: object) -> tuple[str, ...]:
    present = _present(value)
    if present is None:
        return ()
    if isinstance(present, str) or not isinstance(present, Iterable):
        raise TypeError(f"target_user_ids {present!r} is not a list of user ids")
    return tuple(str(u) for u in present)


def _present(value: object) -> object:
    """None for pandas' missing values (None, NaN, NA, NaT), else the value."""
    if value is None:
        return None
    try:
        if value != value:  # noqa: PLR0124 - NaN and NaT are not equal to themselves
            return None
    except (TypeError, ValueError):  # pandas.NA refuses to be a bool; arrays compare elementwise
        return None if type(value).__name__ in ("NAType", "NaTType") else value
    return value


def _text(value: object) -> str:
    present = _present(value)
    return "" if present is None else str(present)


def _int(value: object, column: str) -> int | None:
    present = _present(value)
    if present is None:
        return None
    if isinstance(present, float) and not math.isfinite(present):
        return None
    try:
        return int(str(present)) if isinstance(present, str) else int(present)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"{column} {present!r} is not a number") from None
