"""Typed client messages to the front end's JSON shape (``WireMessage``)."""

from __future__ import annotations

from rtk_widget.client.chat_history import order_of
from rtk_widget.client.messages import CustomMessage, FileMessage, ImageMessage, Message, TextMessage

from ._protocol import WireMessage, WireMessageType

__all__ = ["order_of", "to_wire"]


def _plain_type(message: Message) -> WireMessageType:
    if isinstance(message, ImageMessage):
        return "image"
    if isinstance(message, FileMessage):
        return "file"
    return "text"


def to_wire(message: Message) -> WireMessage:
    """Convert a client message to what the panel renders (no token, only content)."""
    wire: WireMessage = {
        "id": message.id,
        "type": "custom" if isinstance(message, CustomMessage) else _plain_type(message),
        "userId": message.user_id,
        "displayName": message.display_name,
        "time": message.time_ms,
        "order": order_of(message),
        "edited": message.is_edited,
        "pinned": message.pinned,
        "targetUserIds": list(message.target_user_ids),
    }
    if isinstance(message, TextMessage):
        wire["text"] = message.message
    elif isinstance(message, ImageMessage):
        wire["link"] = message.link
    elif isinstance(message, FileMessage):
        wire["link"] = message.link
        wire["name"] = message.name
        wire["size"] = message.size
    elif isinstance(message, CustomMessage):
        text = message.message
        wire["text"] = text if text is not None else message.raw
    return wire
