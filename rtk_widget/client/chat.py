"""``meeting.chat``: the Core SDK's chat API in Python names (the Cloudflare chat guide).

Every method has a plain form that blocks until the server acknowledges (default
timeout 20 s, like the SDK) and an awaitable ``*_async`` twin usable from any
event loop. Failures raise :class:`~rtk_widget.client.errors.ChatError` subclasses.

Events (``on``/``once``/``off``): ``chatUpdate`` (:class:`ChatUpdateEvent`),
``newMessage`` (the message), ``pinMessage`` / ``unpinMessage`` (:class:`PinEvent`),
``rateLimitReset`` (None). The history loaded when joining raises no events;
every later change does, including what a catch-up after a reconnect brings.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from rtk_widget.client.chat_reads import ChatReads
from rtk_widget.client.chat_requests import check_permission, check_text, target_peer_ids
from rtk_widget.client.chat_state import ChatState
from rtk_widget.client.chat_vocabulary import ChatVocabulary
from rtk_widget.client.connection import Connection
from rtk_widget.client.errors import (
    InvalidMessageError,
    MessageNotFoundError,
    NotJoinedError,
    RateLimitedError,
)
from rtk_widget.client.events import EventEmitter, EventSource
from rtk_widget.client.export import to_dataframe, to_replay_csv
from rtk_widget.client.messages import (
    FileMessage,
    ImageMessage,
    Message,
    MessageType,
    TextMessage,
    file_payload,
    from_proto,
)
from rtk_widget.client.participants import Participant, SelfParticipant
from rtk_widget.client.rate_limits import SlidingWindow
from rtk_widget.client.runtime import Runtime, blocking, network
from rtk_widget.client.uploads import FileSource, Uploader, image_upload, read_source
from rtk_widget.wire import chat_pb2 as pb
from rtk_widget.wire import limits
from rtk_widget.wire.events import Event

M = TypeVar("M", bound=Message)
Targets = Sequence[str | Participant] | None

DEFAULT_MAX_TEXT = limits.MAX_TEXT_LENGTH


@dataclass(frozen=True, slots=True)
class ChatSession:
    """What the chat needs from a joined meeting."""

    connection: Connection
    me: SelfParticipant
    uploader: Uploader


class Chat(ChatReads, ChatVocabulary, EventSource):
    """The meeting's chat (``meeting.chat``).

    Events: ``chatUpdate``, ``newMessage``, ``pinMessage``, ``unpinMessage``, ``rateLimitReset``.
    ``send_text``, ``send_image``, ``send_file``, ``edit_text``, ``delete``, ... are ChatWidget's names
    for the SDK-named calls; ``on_message(fn)`` is a one-function bot (its return value is the reply).
    """

    def __init__(self, runtime: Runtime, emitter: EventEmitter, meeting_id: str = "") -> None:
        self._runtime = runtime
        self._meeting_id = meeting_id
        self._emitter = emitter
        self._state = ChatState(emitter)
        self._session: ChatSession | None = None
        self._max_text = DEFAULT_MAX_TEXT
        texts, files, window = (
            limits.TEXT_MESSAGES_PER_MINUTE,
            limits.FILE_MESSAGES_PER_MINUTE,
            limits.RATE_WINDOW_S,
        )
        self._text_limit = SlidingWindow("sendTextMessage", texts, window)
        self._message_limit = SlidingWindow("sendMessage", texts, window)
        self._image_limit = SlidingWindow("sendImageMessage", files, window)
        self._file_limit = SlidingWindow("sendFileMessage", files, window)
        self._reset_pending = False

    # ----- state -----

    @property
    def messages(self) -> list[Message]:
        """Every message visible to this participant, in server order (a copy)."""
        return self._state.store.messages()

    @property
    def pinned(self) -> list[Message]:
        """The pinned messages, in server order."""
        return self._state.store.pinned()

    def get_messages_by_user(self, user_id: str) -> list[Message]:
        """Messages sent by the user with that user id."""
        return [m for m in self.messages if m.user_id == user_id]

    def get_messages_by_type(self, message_type: MessageType) -> list[Message]:
        """Messages of one type: "text", "image", "file" or "custom"."""
        return [m for m in self.messages if m.type == message_type]

    @property
    def max_text_limit(self) -> int:
        """Longest text accepted, in UTF-16 code units like the SDK (2000 by default)."""
        return self._max_text

    def set_max_text_limit(self, limit: int) -> None:
        """Change the text limit (``setMaxTextLimit``); the server may still enforce its own."""
        if limit < 1:
            raise ValueError("the text limit must be at least 1")
        self._max_text = limit

    @property
    def rate_limits(self) -> dict[str, float]:
        """``{"maxInvocations", "period"}`` of ``send_text_message`` (the SDK's ``rateLimits``)."""
        return {"maxInvocations": self._text_limit.limit, "period": self._text_limit.period}

    def update_rate_limits(self, max_invocations: int, period: float) -> None:
        """Change the client-side limit of ``send_text_message`` (``updateRateLimits``)."""
        self._text_limit.update(max_invocations, period)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """The chat as a Chat Replay CSV document; also written to ``path`` when given."""
        text = to_replay_csv(self.messages, meeting_id=self._meeting_id)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8", newline="")
        return text

    def to_dataframe(self) -> Any:
        """The chat as a pandas DataFrame (needs pandas; see :mod:`rtk_widget.client.export`)."""
        return to_dataframe(self.messages)

    # ----- events -----

    # ----- sending -----

    def new_envelope_id(self) -> str:
        """A fresh request id for a send's ``envelope_id=`` (known before the send, unlike its message id)."""
        return self._connection().new_id()

    @network
    async def send_text_message_async(
        self, text: str, peer_ids: Targets = None, *, envelope_id: str | None = None
    ) -> TextMessage:
        """Send text to everyone, or privately to ``peer_ids`` (peer ids or Participants).

        ``envelope_id`` (from :meth:`new_envelope_id`) names the request: the returned
        message and its ``chatUpdate`` event carry it, and on rtk-widget servers a
        repeat with the same id is stored once. Every send method takes it.
        """
        session = self._require_session()
        check_text(text, self._max_text)
        check_permission(session.me, 0, peer_ids is not None)
        self._acquire(self._text_limit)
        return await self._send(session, 0, text, peer_ids, TextMessage, envelope_id=envelope_id)

    send_text_message = blocking(send_text_message_async)

    @network
    async def send_image_message_async(
        self,
        image: FileSource,
        peer_ids: Targets = None,
        *,
        name: str | None = None,
        envelope_id: str | None = None,
    ) -> ImageMessage:
        """Upload a JPEG, PNG or GIF (a path, bytes with ``name=``, or a binary file) and send it."""
        session = self._require_session()
        upload = image_upload(image, name)
        check_permission(session.me, 1, peer_ids is not None)
        self._acquire(self._image_limit)
        link = await session.uploader.upload(upload)
        return await self._send(session, 1, link, peer_ids, ImageMessage, envelope_id=envelope_id)

    send_image_message = blocking(send_image_message_async)

    @network
    async def send_file_message_async(
        self,
        file: FileSource,
        peer_ids: Targets = None,
        *,
        name: str | None = None,
        envelope_id: str | None = None,
    ) -> FileMessage:
        """Upload any file (a path, bytes with ``name=``, or a binary file) and send it."""
        session = self._require_session()
        upload = read_source(file, name)
        check_permission(session.me, 2, peer_ids is not None)
        self._acquire(self._file_limit)
        link = await session.uploader.upload(upload)
        payload = file_payload(link, upload.name, upload.size)
        return await self._send(session, 2, payload, peer_ids, FileMessage, envelope_id=envelope_id)

    send_file_message = blocking(send_file_message_async)

    @network
    async def send_message_async(self, message: dict[str, Any], peer_ids: Targets = None) -> Message:
        """Send ``{"type": "text", "message": str}``, ``{"type": "image", "image": ...}`` or
        ``{"type": "file", "file": ...}`` (optional ``"name"`` for bytes)."""
        kind = message.get("type")
        if kind not in ("text", "image", "file"):
            raise InvalidMessageError(f'message["type"] must be "text", "image" or "file", got {kind!r}')
        self._require_session()
        self._acquire(self._message_limit)
        if kind == "text":
            return await self.send_text_message_async(_field(message, "message", str), peer_ids)
        if kind == "image":
            return await self.send_image_message_async(
                message.get("image"),  # type: ignore[arg-type]
                peer_ids,
                name=message.get("name"),
            )
        return await self.send_file_message_async(
            message.get("file"),  # type: ignore[arg-type]
            peer_ids,
            name=message.get("name"),
        )

    send_message = blocking(send_message_async)

    # ----- editing -----

    @network
    async def edit_text_message_async(self, message_id: str, text: str) -> TextMessage:
        """Replace a text message's text."""
        session = self._require_session()
        check_text(text, self._max_text)
        check_permission(session.me, 0, False)
        return await self._edit(session, message_id, 0, text, TextMessage)

    edit_text_message = blocking(edit_text_message_async)

    @network
    async def edit_image_message_async(
        self, message_id: str, image: FileSource, *, name: str | None = None
    ) -> ImageMessage:
        """Replace a message with a new image (uploaded first)."""
        session = self._require_session()
        upload = image_upload(image, name)
        check_permission(session.me, 1, False)
        link = await session.uploader.upload(upload)
        return await self._edit(session, message_id, 1, link, ImageMessage)

    edit_image_message = blocking(edit_image_message_async)

    @network
    async def edit_file_message_async(
        self, message_id: str, file: FileSource, *, name: str | None = None
    ) -> FileMessage:
        """Replace a message with a new file (uploaded first)."""
        session = self._require_session()
        upload = read_source(file, name)
        check_permission(session.me, 2, False)
        link = await session.uploader.upload(upload)
        payload = file_payload(link, upload.name, upload.size)
        return await self._edit(session, message_id, 2, payload, FileMessage)

    edit_file_message = blocking(edit_file_message_async)

    @network
    async def edit_message_async(self, message_id: str, message: dict[str, Any]) -> Message:
        """Edit with a ``send_message``-style dict."""
        kind = message.get("type")
        if kind == "text":
            return await self.edit_text_message_async(message_id, _field(message, "message", str))
        if kind == "image":
            return await self.edit_image_message_async(
                message_id,
                message.get("image"),  # type: ignore[arg-type]
                name=message.get("name"),
            )
        if kind == "file":
            return await self.edit_file_message_async(
                message_id,
                message.get("file"),  # type: ignore[arg-type]
                name=message.get("name"),
            )
        raise InvalidMessageError(f'message["type"] must be "text", "image" or "file", got {kind!r}')

    edit_message = blocking(edit_message_async)

    @network
    async def delete_message_async(self, message_id: str) -> None:
        """Delete a message for everyone."""
        session = self._require_session()
        request = pb.DeleteChatMessageRequest(chat_id=message_id)
        try:
            await session.connection.request(Event.DELETE_MESSAGE, request.SerializeToString())
        except MessageNotFoundError:
            # A resend after a reconnect finds its own deletion already done.
            if not self._state.store.is_deleted(message_id):
                raise

    delete_message = blocking(delete_message_async)

    @network
    async def pin_async(self, message_id: str) -> Message:
        """Pin a message (it then appears in ``chat.pinned``)."""
        return await self._pin(message_id, True)

    pin = blocking(pin_async)

    @network
    async def unpin_async(self, message_id: str) -> Message:
        """Unpin a message."""
        return await self._pin(message_id, False)

    unpin = blocking(unpin_async)

    # ----- the widget's names (ChatWidget); the SDK's names above stay -----

    send_text, send_text_async = send_text_message, send_text_message_async
    send_image, send_image_async = send_image_message, send_image_message_async
    send_file, send_file_async = send_file_message, send_file_message_async
    edit_text, edit_text_async = edit_text_message, edit_text_message_async
    edit_image, edit_image_async = edit_image_message, edit_image_message_async
    edit_file, edit_file_async = edit_file_message, edit_file_message_async
    delete, delete_async = delete_message, delete_message_async

    # ----- internals (network loop) -----

    def attach(self, session: ChatSession) -> None:
        """Called by the meeting once joined."""
        self._session = session
        self._state.connection = session.connection
        self._state.own_user_id = session.me.user_id

    def detach(self) -> None:
        """Called by the meeting when it leaves."""
        self._session = None

    @property
    def state(self) -> ChatState:
        """The store and catch-up machinery (used by the meeting and the widget)."""
        return self._state

    def _connection(self) -> Connection:
        return self._require_session().connection

    def _require_session(self) -> ChatSession:
        if self._session is None:
            raise NotJoinedError("join the meeting first (meeting.join())")
        return self._session

    def _acquire(self, window: SlidingWindow) -> None:
        try:
            window.acquire()
        except RateLimitedError as exc:
            self._schedule_reset(exc.retry_after)
            raise

    def _schedule_reset(self, delay: float) -> None:
        if self._reset_pending:
            return
        self._reset_pending = True

        def fire() -> None:
            self._reset_pending = False
            self._emitter.emit("rateLimitReset", None)

        asyncio.get_running_loop().call_later(max(delay, 0.0), fire)

    async def _send(
        self,
        session: ChatSession,
        payload_type: int,
        payload: str,
        peer_ids: Targets,
        kind: type[M],
        *,
        envelope_id: str | None,
    ) -> M:
        body: pb.SendChatMessageToRoomRequest | pb.SendChatMessageToPeersRequest
        if peer_ids is not None:
            event = Event.SEND_MESSAGE_TO_PEERS
            body = pb.SendChatMessageToPeersRequest(
                peer_ids=target_peer_ids(peer_ids, session.me.id), payload_type=payload_type, payload=payload
            )
        else:
            event = Event.SEND_MESSAGE_TO_ROOM
            body = pb.SendChatMessageToRoomRequest(payload_type=payload_type, payload=payload)
        conn = session.connection
        request_id = envelope_id or conn.new_id()
        forget_echo = self._state.await_echo(request_id, payload_type, payload)
        try:
            frame = await conn.request(
                event, body.SerializeToString(), request_id=request_id, resend=self._state.sync_supported
            )
        except RateLimitedError as exc:
            self._schedule_reset(exc.retry_after)
            raise
        finally:
            forget_echo()
        result = self._result(pb.SendChatMessageToRoomResponse, frame.payload, kind)
        return result if result.envelope_id == request_id else replace(result, envelope_id=request_id)

    async def _edit(
        self, session: ChatSession, message_id: str, payload_type: int, payload: str, kind: type[M]
    ) -> M:
        request = pb.EditChatMessageRequest(chat_id=message_id, payload_type=payload_type, payload=payload)
        frame = await session.connection.request(Event.EDIT_MESSAGE, request.SerializeToString())
        return self._result(pb.EditChatMessageResponse, frame.payload, kind)

    async def _pin(self, message_id: str, pinned: bool) -> Message:
        session = self._require_session()
        request = pb.PinChatMessageRequest(chat_id=message_id, pinned=pinned)
        frame = await session.connection.request(Event.PIN_MESSAGE, request.SerializeToString())
        answer = pb.PinChatMessageResponse()
        answer.ParseFromString(frame.payload)
        if not answer.HasField("message"):
            raise MessageNotFoundError(f"No message found with id {message_id}")
        message = from_proto(answer.message)
        return self._state.store.get(message.id) or message

    def _result(
        self,
        wrapper: type[pb.SendChatMessageToRoomResponse] | type[pb.EditChatMessageResponse],
        payload: bytes,
        kind: type[M],
    ) -> M:
        answer = wrapper()
        answer.ParseFromString(payload)
        proto = answer.message
        # The same frame went through handle_push first: the store's copy is this answer, decoded.
        result = self._state.store.get(proto.chat_id)
        if result is None or result.rev != (proto.rev or None):
            result = from_proto(proto)
        if not isinstance(result, kind):
            raise InvalidMessageError(f"the server answered with a {result.type} message")
        return result


def _field(message: dict[str, Any], key: str, kind: type[str]) -> str:
    value = message.get(key)
    if not isinstance(value, kind):
        raise InvalidMessageError(f'message["{key}"] must be a {kind.__name__}')
    return value
