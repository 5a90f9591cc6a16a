"""Chat events on the socket: each frame's payload parsed and handed to :class:`ChatService`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf.message import Message

from rtk_widget.server.chat.service import ChatService
from rtk_widget.server.ws.rooms import Connection
from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.envelope import Frame, parse_payload
from rtk_widget.wire.events import Event

Handler = Callable[[Connection, Frame], Awaitable[Message | bytes | None]]
"""Handles one request; returns the reply payload (None: the handler replied itself)."""


class ChatEvents:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    def handlers(self) -> dict[int, Handler]:
        return {
            Event.GET_MESSAGES: self._history,
            Event.SEND_MESSAGE_TO_ROOM: self._send_room,
            Event.SEND_MESSAGE_TO_PEERS: self._send_peers,
            Event.EDIT_MESSAGE: self._edit,
            Event.DELETE_MESSAGE: self._delete,
            Event.GET_PAGINATED_MESSAGES: self._page,
            Event.SEARCH_CHANNEL_MESSAGES: self._search,
            Event.PIN_MESSAGE: self._pin,
            Event.SYNC_CHANGES: self._sync,
        }

    async def _history(self, conn: Connection, frame: Frame) -> Message:
        return await self.chat.history(conn)

    async def _send_room(self, conn: Connection, frame: Frame) -> None:
        request = parse_payload(chat_pb2.SendChatMessageToRoomRequest, frame.payload)
        await self.chat.send(conn, frame.id, request.payload_type, request.payload, None)

    async def _send_peers(self, conn: Connection, frame: Frame) -> None:
        request = parse_payload(chat_pb2.SendChatMessageToPeersRequest, frame.payload)
        await self.chat.send(conn, frame.id, request.payload_type, request.payload, list(request.peer_ids))

    async def _edit(self, conn: Connection, frame: Frame) -> None:
        request = parse_payload(chat_pb2.EditChatMessageRequest, frame.payload)
        await self.chat.edit(
            conn,
            frame.id,
            request.chat_id,
            payload_type=request.payload_type if request.HasField("payload_type") else None,
            payload=request.payload if request.HasField("payload") else None,
            pinned=request.pinned if request.HasField("pinned") else None,
        )

    async def _delete(self, conn: Connection, frame: Frame) -> None:
        request = parse_payload(chat_pb2.DeleteChatMessageRequest, frame.payload)
        await self.chat.delete(conn, frame.id, request.chat_id)

    async def _pin(self, conn: Connection, frame: Frame) -> None:
        request = parse_payload(chat_pb2.PinChatMessageRequest, frame.payload)
        await self.chat.pin(conn, frame.id, request.chat_id, request.pinned)

    async def _page(self, conn: Connection, frame: Frame) -> Message:
        request = parse_payload(chat_pb2.GetPaginatedChatMessageRoomRequest, frame.payload)
        which = request.filters.WhichOneof("filters")
        return await self.chat.page(
            conn,
            time_ms=request.time_stamp,
            size=request.size,
            offset=getattr(request, "from"),
            reversed_=request.reversed,
            pinned_only=which == "pinned" and request.filters.pinned,
            with_user=request.filters.user_id if which == "user_id" else None,
        )

    async def _search(self, conn: Connection, frame: Frame) -> Message:
        request = parse_payload(chat_pb2.SearchChatMessagesRequest, frame.payload)
        page = await self.chat.page(
            conn,
            time_ms=request.time_stamp,
            size=request.size,
            offset=getattr(request, "from"),
            reversed_=request.reversed,
            pinned_only=False,
            with_user=None,
            search=request.search_term,
        )
        return chat_pb2.GetChatMessagesResponse(messages=page.messages)

    async def _sync(self, conn: Connection, frame: Frame) -> Message:
        request = parse_payload(sync_pb2.SyncRequest, frame.payload)
        return await self.chat.sync(conn, request.after_rev, request.limit)
