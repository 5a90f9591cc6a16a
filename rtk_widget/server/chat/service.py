"""Chat semantics the server owns: identity, time, ids, seq/rev, validation, limits,
permissions, idempotent sends and private visibility. Replies and pushes follow
docs/protocol.md §4.3."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.message import Message

from rtk_widget.server.chat.payloads import FILE, IMAGE, RequestRefused, file_ids, validate
from rtk_widget.server.chat.ratelimit import KeyedRateLimit
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.presets import Permissions
from rtk_widget.server.store import admin as aq
from rtk_widget.server.store import messages as mq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import MessageRecord
from rtk_widget.server.ws.rooms import Connection, Rooms
from rtk_widget.wire.chat_pb2 import (
    ChatMessage,
    DeleteChatMessageResponse,
    EditChatMessageResponse,
    GetChatMessagesResponse,
    GetPaginatedChatMessageRoomResponse,
    PinChatMessageResponse,
    SendChatMessageToPeersResponse,
    SendChatMessageToRoomResponse,
)
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import encode_frame
from rtk_widget.wire.events import Event
from rtk_widget.wire.sync_pb2 import SyncResponse

SQLITE_MAX = 2**63 - 1  # uint64 fields on the wire may exceed SQLite's signed 64-bit integers


def _build(make: Callable[..., ChatMessage], record: MessageRecord) -> ChatMessage:
    """A stored message as RealtimeKit's ``ChatMessage`` (seq in channel_index, rev in field 100),
    made by ``make``: the message class, or a repeated field's ``add``."""
    message = make(
        chat_id=record.id,
        peer_id=record.peer_id,
        user_id=record.user_id,
        display_name=record.display_name,
        payload=record.payload,
        created_at=record.created_ms // 1000,
        created_at_ms=record.created_ms,
        channel_index=str(record.seq),
        rev=record.rev,
    )
    # Fields left at their zero value are not on the wire anyway: set only the others.
    if record.payload_type:
        message.payload_type = record.payload_type
    if record.pinned:
        message.pinned = True
    if record.edited:
        message.is_edited = True
    if record.target_user_ids:
        message.target_user_ids.extend(record.target_user_ids)
    return message


def to_proto(record: MessageRecord) -> ChatMessage:
    """A stored message as RealtimeKit's ``ChatMessage``."""
    return _build(ChatMessage, record)


def add_protos(
    messages: RepeatedCompositeFieldContainer[ChatMessage], records: Iterable[MessageRecord]
) -> None:
    """Append stored messages to a reply's repeated ``ChatMessage`` field.

    Built in place: a list of ``ChatMessage`` handed to the reply's constructor is copied
    into it once more, which made up half the encoding of a 500-message sync page."""
    add = messages.add
    for record in records:
        _build(add, record)


@dataclass(slots=True)
class ChatService:
    config: ServerConfig
    db: Database
    rooms: Rooms
    text_limiter: KeyedRateLimit
    file_limiter: KeyedRateLimit
    image_limiter: KeyedRateLimit  # apart from files, as the SDK counts sendImage/sendFileMessage

    @classmethod
    def create(cls, config: ServerConfig, db: Database, rooms: Rooms) -> ChatService:
        return cls(
            config,
            db,
            rooms,
            KeyedRateLimit(config.text_rate, config.rate_window_s),
            KeyedRateLimit(config.file_rate, config.rate_window_s),
            KeyedRateLimit(config.file_rate, config.rate_window_s),
        )

    # -- validation --------------------------------------------------------------------------

    def validate(self, payload_type: int, payload: str) -> None:
        validate(
            payload_type,
            payload,
            max_text_chars=self.config.max_text_chars,
            max_payload_chars=self.config.max_payload_chars,
        )

    def _limiter(self, payload_type: int) -> KeyedRateLimit:
        if payload_type == IMAGE:
            return self.image_limiter
        return self.file_limiter if payload_type == FILE else self.text_limiter

    @staticmethod
    def _require_joined(conn: Connection) -> None:
        if not conn.joined:
            raise RequestRefused(ErrorCode.NOT_JOINED, "join the room first")

    # -- sends -------------------------------------------------------------------------------

    async def _resolve_targets(self, conn: Connection, peer_ids: list[str]) -> list[str]:
        """Target user ids of a private message (peer ids of connected peers, or participant ids)."""
        targets: list[str] = []
        offline: list[str] = []
        for pid in peer_ids:
            if pid == conn.peer_id:
                continue
            other = self.rooms.get(conn.meeting_id, pid)
            if other is not None:
                if not other.permissions.can_receive_private:
                    raise RequestRefused(
                        ErrorCode.FORBIDDEN, f"{other.display_name} cannot receive private messages"
                    )
                uid = other.user_id
            else:
                offline.append(pid)
                uid = pid
            if uid != conn.user_id and uid not in targets:
                targets.append(uid)
        if offline:

            def lookup(c: sqlite3.Connection) -> dict[str, bool]:
                found: dict[str, bool] = {}
                for pid in offline:
                    row = aq.get_participant_row(c, conn.meeting_id, pid)
                    if row is not None:
                        preset = aq.get_preset_row(c, name=row["preset_name"])
                        body = json.loads(preset["body"]) if preset else {}
                        found[pid] = Permissions(body).can_receive_private
                return found

            known = await self.db.read(lookup)
            for pid in offline:
                if pid not in known:
                    raise RequestRefused(ErrorCode.NOT_FOUND, f"no peer or participant {pid} in this meeting")
                if not known[pid]:
                    raise RequestRefused(
                        ErrorCode.FORBIDDEN, f"participant {pid} cannot receive private messages"
                    )
        if not targets:
            raise RequestRefused(ErrorCode.INVALID, "a private message needs at least one other recipient")
        return targets

    async def _admit(
        self,
        conn: Connection,
        payload_type: int,
        payload: str,
        peer_ids: list[str] | None,
        *,
        limiter: KeyedRateLimit,
        key: str,
    ) -> list[str]:
        """Every check before a send is stored; takes a rate slot; returns the target user ids."""
        self.validate(payload_type, payload)
        if not conn.permissions.can_send(payload_type, peer_ids is not None):
            raise RequestRefused(ErrorCode.FORBIDDEN, "your preset does not allow sending this message")
        targets = await self._resolve_targets(conn, peer_ids) if peer_ids is not None else []
        retry_after = limiter.acquire(key)
        if retry_after:
            raise RequestRefused(ErrorCode.RATE_LIMITED, "too many messages; slow down", retry_after)
        return targets

    async def send(
        self,
        conn: Connection,
        request_id: str | None,
        payload_type: int,
        payload: str,
        peer_ids: list[str] | None,
    ) -> None:
        """65537 (``peer_ids is None``) or 65538: store, then push to the audience."""
        self._require_joined(conn)
        private = peer_ids is not None
        event = Event.SEND_MESSAGE_TO_PEERS if private else Event.SEND_MESSAGE_TO_ROOM
        response_type: type[Message] = (
            SendChatMessageToPeersResponse if private else SendChatMessageToRoomResponse
        )
        key = f"{conn.meeting_id}\n{conn.user_id}"
        limiter = self._limiter(payload_type)
        try:
            targets = await self._admit(conn, payload_type, payload, peer_ids, limiter=limiter, key=key)
        except RequestRefused:
            # A resend of a stored message is answered as before, whatever changed since (its
            # target left, the budget ran out).
            if not await self._answer_resend(conn, event, request_id, response_type):
                raise
            return
        new = mq.NewMessage(
            meeting_id=conn.meeting_id,
            session_id=conn.session_id,
            peer_id=conn.peer_id,
            user_id=conn.user_id,
            display_name=conn.display_name,
            payload_type=payload_type,
            payload=payload,
            target_user_ids=[*targets, conn.user_id] if private else [],
            envelope_id=request_id,
            file_ids=file_ids(payload_type, payload),
        )
        try:
            record = await self.db.write(lambda c: mq.insert_message(c, new))
        except mq.DuplicateSend:  # a resend that passed the checks: the write was rolled back
            limiter.release(key)
            if not await self._answer_resend(conn, event, request_id, response_type):
                raise RequestRefused(ErrorCode.NOT_FOUND, "the message this resends is gone") from None
            return
        except Exception:
            limiter.release(key)
            raise
        response = response_type(message=to_proto(record))
        self._push(conn, record, event, request_id, response)

    async def _answer_resend(
        self, conn: Connection, event: Event, request_id: str | None, response_type: type[Message]
    ) -> bool:
        """Answer a resend (same envelope id) with the message it stored; False if there is none."""
        if request_id is None:
            return False
        stored = await self.db.read(lambda c: mq.find_duplicate(c, conn.meeting_id, conn.user_id, request_id))
        if stored is None:
            return False
        conn.send(encode_frame(event, request_id, response_type(message=to_proto(stored))))
        return True

    # -- changes -----------------------------------------------------------------------------

    def _may_change(self, conn: Connection, record: MessageRecord) -> None:
        if record.user_id != conn.user_id and not conn.permissions.can_moderate:
            raise RequestRefused(
                ErrorCode.FORBIDDEN, "only the author (or a moderator) may change this message"
            )

    async def _apply(
        self, conn: Connection, chat_id: str, decide: Callable[[MessageRecord], dict[str, Any] | None]
    ) -> MessageRecord:
        """One transaction: find the message the caller can see, let ``decide`` check it and say
        what changes (None: nothing), apply that under a new revision."""

        def job(c: sqlite3.Connection) -> MessageRecord:
            current = mq.get_message(c, conn.meeting_id, chat_id)
            if current is None or current.deleted or not current.visible_to(conn.user_id):
                raise RequestRefused(ErrorCode.NOT_FOUND, f"no message with id {chat_id}")
            change = decide(current)
            return current if change is None else mq.change_message(c, conn.meeting_id, chat_id, **change)

        return await self.db.write(job)

    def _push(
        self, conn: Connection, record: MessageRecord, event: Event, request_id: str | None, response: Message
    ) -> None:
        """The change to the others in the room, then the reply to its author.

        The payload is serialized once for both frames. The others go first: the author's
        request is answered either way, and their copies then leave no later than the reply
        (each socket still sees the meeting's changes in commit order)."""
        payload = response.SerializeToString()
        self.rooms.fan_out(
            conn.meeting_id,
            encode_frame(event, None, payload),
            exclude=conn,
            audience=record.audience if record.private else None,
        )
        conn.send(encode_frame(event, request_id, payload))

    async def edit(
        self,
        conn: Connection,
        request_id: str | None,
        chat_id: str,
        *,
        payload_type: int | None,
        payload: str | None,
        pinned: bool | None,
    ) -> None:
        self._require_joined(conn)
        if payload_type is None and payload is None:
            if pinned is None:
                raise RequestRefused(ErrorCode.INVALID, "nothing to edit")
            await self.pin(conn, request_id, chat_id, pinned, event=Event.EDIT_MESSAGE)
            return

        def decide(record: MessageRecord) -> dict[str, Any]:
            self._may_change(conn, record)
            new_type = record.payload_type if payload_type is None else payload_type
            new_payload = record.payload if payload is None else payload
            self.validate(new_type, new_payload)
            if not conn.permissions.can_send(new_type, record.private):
                raise RequestRefused(ErrorCode.FORBIDDEN, "your preset does not allow this message type")
            return {"payload": (new_type, new_payload), "file_ids": file_ids(new_type, new_payload)}

        updated = await self._apply(conn, chat_id, decide)
        self._push(
            conn, updated, Event.EDIT_MESSAGE, request_id, EditChatMessageResponse(message=to_proto(updated))
        )

    async def delete(self, conn: Connection, request_id: str | None, chat_id: str) -> None:
        self._require_joined(conn)

        def decide(record: MessageRecord) -> dict[str, Any]:
            self._may_change(conn, record)
            return {"delete": True}

        updated = await self._apply(conn, chat_id, decide)
        self._push(
            conn,
            updated,
            Event.DELETE_MESSAGE,
            request_id,
            DeleteChatMessageResponse(chat_id=chat_id, rev=updated.rev),
        )

    async def pin(
        self,
        conn: Connection,
        request_id: str | None,
        chat_id: str,
        pinned: bool,
        event: Event = Event.PIN_MESSAGE,
    ) -> None:
        self._require_joined(conn)
        if not conn.permissions.can_pin:
            raise RequestRefused(ErrorCode.FORBIDDEN, "your preset does not allow pinning messages")
        record = await self._apply(
            conn, chat_id, lambda r: None if r.pinned == pinned else {"pinned": pinned}
        )
        message = to_proto(record)
        response: Message = (
            EditChatMessageResponse(message=message)
            if event == Event.EDIT_MESSAGE
            else PinChatMessageResponse(chat_id=chat_id, pinned=pinned, message=message)
        )
        self._push(conn, record, event, request_id, response)

    # -- reads -------------------------------------------------------------------------------

    async def history(self, conn: Connection) -> GetChatMessagesResponse:
        records = await self.db.read(
            lambda c: mq.recent_messages(c, conn.meeting_id, conn.user_id, self.config.history_limit)
        )
        response = GetChatMessagesResponse()
        add_protos(response.messages, records)
        return response

    def _size(self, size: int, default: int) -> int:
        return min(max(size, 1) if size > 0 else default, self.config.page_limit)

    async def page(
        self,
        conn: Connection,
        *,
        time_ms: int,
        size: int,
        offset: int,
        reversed_: bool,
        pinned_only: bool,
        with_user: str | None,
        search: str | None = None,
    ) -> GetPaginatedChatMessageRoomResponse:
        limit = self._size(size, 75 if search is not None else 25)
        page = await self.db.read(
            lambda c: mq.list_messages(
                c,
                conn.meeting_id,
                conn.user_id,
                time_ms=min(time_ms, SQLITE_MAX),
                before=reversed_,
                limit=limit,
                offset=max(offset, 0),
                pinned_only=pinned_only,
                with_user=with_user,
                search=search,
            )
        )
        response = GetPaginatedChatMessageRoomResponse(next=page.more)
        add_protos(response.messages, page.messages)
        return response

    async def sync(self, conn: Connection, after_rev: int, limit: int) -> SyncResponse:
        size = self._size(limit, self.config.page_limit)
        changes = await self.db.read(
            lambda c: mq.changes_since(c, conn.meeting_id, conn.user_id, min(after_rev, SQLITE_MAX), size)
        )
        response = SyncResponse(deleted_ids=changes.deleted_ids, rev=changes.rev, more=changes.more)
        add_protos(response.messages, changes.messages)
        return response
