"""The Python port of RealtimeKit's Core SDK chat: ``Meeting`` and ``meeting.chat``.

See :class:`~rtk_widget.client.meeting.Meeting`. Network I/O runs on one
background thread (:mod:`rtk_widget.client.runtime`); callbacks run on the
kernel's main thread in Jupyter, on one callback thread in scripts. An asyncio
program can run a meeting on its own loop instead (``Meeting(token,
loop=asyncio.get_running_loop())``): no thread hop, callbacks on that loop.
"""

from __future__ import annotations

from rtk_widget.client.chat import Chat
from rtk_widget.client.chat_requests import MessagePage
from rtk_widget.client.chat_state import ChatUpdateEvent, PinEvent
from rtk_widget.client.connection import Backoff, ConnectionInfo, ConnectionState
from rtk_widget.client.errors import (
    AuthenticationError,
    ChatError,
    ConnectionLostError,
    EmptyMessageError,
    InvalidMessageError,
    MessageNotFoundError,
    NotJoinedError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    TextTooLongError,
    TLSError,
    UnsupportedImageTypeError,
    UploadError,
)
from rtk_widget.client.export import read_replay_csv, read_replay_dataframe, to_dataframe, to_replay_csv
from rtk_widget.client.invitation import Invitation
from rtk_widget.client.meeting import ConnectionUpdate, Meeting
from rtk_widget.client.messages import CustomMessage, FileMessage, ImageMessage, Message, TextMessage
from rtk_widget.client.participants import ChatPermissions, Participant, SelfParticipant

__all__ = [
    "AuthenticationError",
    "Backoff",
    "Chat",
    "ChatError",
    "ChatPermissions",
    "ChatUpdateEvent",
    "ConnectionInfo",
    "ConnectionLostError",
    "ConnectionState",
    "ConnectionUpdate",
    "CustomMessage",
    "EmptyMessageError",
    "FileMessage",
    "ImageMessage",
    "InvalidMessageError",
    "Invitation",
    "Meeting",
    "Message",
    "MessageNotFoundError",
    "MessagePage",
    "NotJoinedError",
    "Participant",
    "PermissionDeniedError",
    "PinEvent",
    "RateLimitedError",
    "RequestTimeoutError",
    "SelfParticipant",
    "ServerError",
    "TLSError",
    "TextMessage",
    "TextTooLongError",
    "UnsupportedImageTypeError",
    "UploadError",
    "read_replay_csv",
    "read_replay_dataframe",
    "to_dataframe",
    "to_replay_csv",
]
