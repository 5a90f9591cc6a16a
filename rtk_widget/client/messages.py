"""Chat messages as immutable values: the guide's ``Message`` types in Python names.

``from_proto`` follows the SDK's ``formatSocketPeerMessage`` (docs/protocol.md §5);
``to_json`` gives the SDK's camelCase JSON shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from rtk_widget.wire import safe_json
from rtk_widget.wire.chat_pb2 import ChatMessage

MessageType = Literal["text", "image", "file", "custom", "poll"]
PAYLOAD_TYPES: tuple[MessageType, ...] = ("text", "image", "file", "custom", "poll")
"""``ChatMessage.payload_type`` → public type, by index (the SDK's table)."""


def time_from_ms(time_ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return datetime.fromtimestamp(time_ms / 1000, tz=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseMessage:
    """Fields every message has (the guide's ``BaseMessage``).

    ``seq`` is the meeting's gap-free sequence number on rtk-widget servers
    (None on RealtimeKit); ``rev`` the revision of the message's latest change
    (None when the server does not send it). ``envelope_id`` is set on the
    messages this client sent: the id of the send's request, on the message the
    send returned and on its ``chatUpdate`` event (it takes no part in equality).
    """

    id: str
    user_id: str
    display_name: str
    time: datetime
    time_ms: int
    is_edited: bool = False
    read: bool = False
    plugin_id: str | None = None
    pinned: bool = False
    target_user_ids: tuple[str, ...] = ()
    peer_id: str = ""
    seq: int | None = None
    rev: int | None = None
    envelope_id: str | None = field(default=None, compare=False)

    type: ClassVar[MessageType]

    def __repr__(self) -> str:
        marks = [mark for mark, on in (("private", self.is_private), ("pinned", self.pinned),
                                       ("edited", self.is_edited)) if on]
        where = f"#{self.seq} " if self.seq is not None else ""
        extra = f" ({', '.join(marks)})" if marks else ""
        return f"<{type(self).__name__} {where}{self.display_name}: {self._summary()}{extra}>"

    def _summary(self) -> str:
        raise NotImplementedError

    @property
    def is_private(self) -> bool:
        """True for a message sent to chosen participants only."""
        return bool(self.target_user_ids)

    @property
    def payload_type(self) -> int:
        """The wire ``payload_type`` number of this message's type."""
        return PAYLOAD_TYPES.index(self.type)

    @property
    def payload(self) -> str:
        """The wire ``payload`` string (text, URL, or JSON)."""
        raise NotImplementedError

    def _content_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """The SDK's camelCase JSON shape; ``time`` as an ISO 8601 string."""
        base: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "userId": self.user_id,
            "displayName": self.display_name,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "timeMs": self.time_ms,
            "isEdited": self.is_edited,
            "read": self.read,
            "pluginId": self.plugin_id,
            "pinned": self.pinned,
            "targetUserIds": list(self.target_user_ids),
        }
        base.update(self._content_json())
        return base


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextMessage(BaseMessage):
    """A text message; ``message`` is the text (``text`` is an alias)."""

    message: str
    type: ClassVar[MessageType] = "text"

    @property
    def text(self) -> str:
        """The text (the SDK calls it ``message``)."""
        return self.message

    @property
    def payload(self) -> str:
        """The text itself."""
        return self.message

    def _summary(self) -> str:
        return repr(_clip(self.message))

    def _content_json(self) -> dict[str, Any]:
        return {"message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageMessage(BaseMessage):
    """An image message; ``link`` is where the image can be downloaded."""

    link: str
    type: ClassVar[MessageType] = "image"

    @property
    def payload(self) -> str:
        """The image URL."""
        return self.link

    def _summary(self) -> str:
        return _clip(self.link.rsplit("/", 1)[-1].split("?", 1)[0] or self.link)

    def _content_json(self) -> dict[str, Any]:
        return {"link": self.link}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FileMessage(BaseMessage):
    """A file message: download ``link``, file ``name`` and ``size`` in bytes."""

    link: str
    name: str
    size: int
    type: ClassVar[MessageType] = "file"

    @property
    def payload(self) -> str:
        """JSON ``{"link", "name", "size"}`` like the SDK sends."""
        return file_payload(self.link, self.name, self.size)

    def _summary(self) -> str:
        return f"{_clip(self.name)}, {self.size:,} bytes"

    def _content_json(self) -> dict[str, Any]:
        return {"link": self.link, "name": self.name, "size": self.size}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CustomMessage(BaseMessage):
    """A custom (or poll) message; ``raw`` is the wire payload, ``data`` its JSON."""

    raw: str
    kind: MessageType = "custom"
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    type: ClassVar[MessageType] = "custom"

    @property
    def payload(self) -> str:
        """The JSON payload as sent."""
        return self.raw

    @property
    def message(self) -> str | None:
        """The custom payload's ``message`` field, if any."""
        value = self.data.get("message")
        return value if isinstance(value, str) else None

    def _summary(self) -> str:
        return f"{self.kind} {_clip(self.raw)!r}"

    def _content_json(self) -> dict[str, Any]:
        return {**self.data, "type": self.kind}


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def file_payload(link: str, name: str, size: int) -> str:
    """A file message's wire payload: JSON ``{"link", "name", "size"}`` like the SDK sends."""
    return json.dumps({"link": link, "name": name, "size": size}, separators=(",", ":"))


Message = TextMessage | ImageMessage | FileMessage | CustomMessage
"""Any chat message."""


def _file_fields(payload: str) -> tuple[str, str, int]:
    try:
        data = safe_json.loads(payload)
    except ValueError:
        return payload, "", 0
    if not isinstance(data, dict):
        return payload, "", 0
    size = data.get("size", 0)
    size = int(size) if isinstance(size, int | float) else 0
    return str(data.get("link", "")), str(data.get("name", "")), size


def build_message(payload_type: int, payload: str, **base: Any) -> Message:
    """A message of the right class from a wire ``payload_type`` and ``payload``."""
    if payload_type == 0:
        return TextMessage(message=payload, **base)
    if payload_type == 1:
        return ImageMessage(link=payload, **base)
    if payload_type == 2:
        link, name, size = _file_fields(payload)
        return FileMessage(link=link, name=name, size=size, **base)
    kind: MessageType = "poll" if payload_type == 4 else "custom"
    try:
        data = safe_json.loads(payload)
    except ValueError:  # not JSON, or nested too deeply to be anyone's honest payload
        data = {"message": payload}
    return CustomMessage(raw=payload, kind=kind, data=data if isinstance(data, dict) else {"value": data},
                         **base)


def from_proto(proto: ChatMessage, *, envelope_id: str | None = None) -> Message:
    """Convert a wire ``socket.chat.ChatMessage`` into a typed message (``envelope_id``: the id
    of this client's send it answers, for its own messages)."""
    time_ms = proto.created_at_ms if proto.HasField("created_at_ms") else proto.created_at * 1000
    index = proto.channel_index  # "" when absent
    base: dict[str, Any] = {
        "id": proto.chat_id,
        "user_id": proto.user_id,
        "display_name": proto.display_name,
        "time": datetime.fromtimestamp(time_ms / 1000, tz=UTC),
        "time_ms": time_ms,
        "is_edited": proto.is_edited,
        "pinned": proto.pinned,
        "target_user_ids": tuple(proto.target_user_ids),
        "peer_id": proto.peer_id,
        "seq": int(index) if index.isdigit() else None,
        "rev": proto.rev or None,
        "envelope_id": envelope_id,
    }
    payload_type = proto.payload_type
    if payload_type == 0:  # most of a joining client's history: one dict unpacking, not two
        return TextMessage(message=proto.payload, **base)
    return build_message(payload_type, proto.payload, **base)
