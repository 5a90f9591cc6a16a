"""Encode and decode socket frames: ``message.v1.SocketMessage`` envelopes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.errors_pb2 import ErrorMessage
from rtk_widget.wire.events import Event
from rtk_widget.wire.socket_message_pb2 import SocketMessage

M = TypeVar("M", bound=Message)


class MalformedFrameError(ValueError):
    """A binary frame that is not a valid ``SocketMessage``."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded socket frame."""

    event: int
    id: str | None
    payload: bytes
    metadata: bytes | None = None


def encode_frame(event: int, request_id: str | None = None, payload: Message | bytes | None = None,
                 metadata: dict[str, str] | None = None) -> bytes:
    """Serialize an envelope; ``payload`` may be a protobuf message or raw bytes."""
    envelope = SocketMessage(event=int(event))
    if request_id is not None:
        envelope.id = request_id
    if payload is not None:
        envelope.payload = payload if isinstance(payload, bytes) else payload.SerializeToString()
    if metadata is not None:
        envelope.metadata = json.dumps(metadata, separators=(",", ":")).encode()
    return envelope.SerializeToString()


def decode_frame(data: bytes) -> Frame:
    """Parse an envelope; raises :class:`MalformedFrameError` on bad bytes."""
    envelope = SocketMessage()
    try:
        envelope.ParseFromString(data)
    except (DecodeError, RecursionError) as exc:  # deep nesting: upb refuses, pure Python recurses
        raise MalformedFrameError(f"not a SocketMessage: {exc}") from exc
    return Frame(
        event=envelope.event,
        id=envelope.id if envelope.HasField("id") else None,
        payload=envelope.payload,
        metadata=envelope.metadata if envelope.HasField("metadata") else None,
    )


def encode_error(request_id: str | None, code: ErrorCode, message: str, retry_after_ms: int = 0) -> bytes:
    """An error reply on event 65535 that rejects the request ``request_id``."""
    error = ErrorMessage(code=int(code), message=message, retry_after_ms=retry_after_ms)
    return encode_frame(Event.ERROR, request_id, error)


def parse_payload(message_type: type[M], payload: bytes) -> M:
    """Parse a frame's payload as ``message_type``; raises :class:`MalformedFrameError`."""
    message = message_type()
    try:
        message.ParseFromString(payload)
    except (DecodeError, RecursionError) as exc:
        raise MalformedFrameError(f"payload is not a {message_type.DESCRIPTOR.full_name}: {exc}") from exc
    return message
