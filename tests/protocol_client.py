"""A small RealtimeKit socket client for tests: request/response by id, awaited pushes.

No sleeps: every wait is for a specific frame, with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import websockets
from google.protobuf.message import Message

from rtk_widget.wire import chat_pb2, errors_pb2, room_pb2
from rtk_widget.wire.envelope import Frame, decode_frame, encode_frame, parse_payload
from rtk_widget.wire.events import PING, PONG, Event

M = TypeVar("M", bound=Message)
_ids = itertools.count(1)


class RequestError(Exception):
    def __init__(self, error: errors_pb2.ErrorMessage) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.code = error.code
        self.message = error.message
        self.retry_after_ms = error.retry_after_ms


def socket_url(base_url: str, token: str, meeting_id: str, peer_id: str, **extra: str) -> str:
    params = {
        "roomID": meeting_id,
        "peerID": peer_id,
        "authToken": token,
        "useMediaV2": "true",
        "ping": "true",
        "capabilities": "2",
        "joinWithDetails": "true",
        "useCfWorker": "true",
        "useStartSession": "true",
        **extra,
    }
    return base_url.replace("http", "ws", 1) + "/ws?" + urlencode(params)


class ProtoClient:
    """One participant's socket."""

    def __init__(self, ws: Any, peer_id: str, participant: dict[str, Any] | None = None) -> None:
        self.ws = ws
        self.peer_id = peer_id
        self.participant = participant or {}
        self.frames: list[Frame] = []
        self.texts: list[str] = []
        self.answer_pings = True
        self._changed = asyncio.Event()
        self.closed: websockets.ConnectionClosed | None = None
        self._reader = asyncio.create_task(self._read())

    @property
    def user_id(self) -> str:
        return str(self.participant.get("id", ""))

    @classmethod
    async def connect(
        cls,
        base_url: str,
        participant: dict[str, Any],
        meeting_id: str,
        *,
        peer_id: str | None = None,
        token: str | None = None,
        origin: str | None = None,
        **extra: str,
    ) -> ProtoClient:
        peer = peer_id or str(uuid.uuid4())
        url = socket_url(base_url, token or participant["token"], meeting_id, peer, **extra)
        headers = {"Origin": origin} if origin else None
        ws = await websockets.connect(url, additional_headers=headers, max_size=None, open_timeout=5)
        return cls(ws, peer, participant)

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    self.texts.append(data)
                    if data == PING and self.answer_pings:
                        await self.ws.send(PONG)
                else:
                    self.frames.append(decode_frame(data))
                self._changed.set()
        except websockets.ConnectionClosed as exc:
            self.closed = exc
        finally:
            if self.closed is None:
                with contextlib.suppress(Exception):
                    await self.ws.wait_closed()
                self.closed = self.ws.protocol.close_exc
            self._changed.set()

    async def expect(self, predicate: Callable[[Frame], bool], within: float = 5.0) -> Frame:
        """The first unconsumed frame matching ``predicate`` (removed from the inbox)."""

        async def wait() -> Frame:
            while True:
                for i, frame in enumerate(self.frames):
                    if predicate(frame):
                        return self.frames.pop(i)
                if self.closed is not None:
                    raise ConnectionError(f"socket closed: {self.closed}")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(wait(), within)

    async def expect_push(self, event: int, within: float = 5.0) -> Frame:
        return await self.expect(lambda f: f.event == event and f.id is None, within)

    async def wait_closed(self, within: float = 5.0) -> websockets.ConnectionClosed:
        async def wait() -> websockets.ConnectionClosed:
            while self.closed is None:
                self._changed.clear()
                await self._changed.wait()
            return self.closed

        return await asyncio.wait_for(wait(), within)

    def no_frames(self, event: int | None = None) -> bool:
        return not [f for f in self.frames if event is None or f.event == event]

    async def send_frame(
        self, event: int, payload: Message | bytes | None = None, request_id: str | None = None
    ) -> str:
        rid = request_id or f"{self.peer_id}-{next(_ids)}"
        await self.ws.send(encode_frame(event, rid, payload))
        return rid

    async def request(
        self,
        event: int,
        payload: Message | bytes | None = None,
        *,
        request_id: str | None = None,
        within: float = 5.0,
    ) -> Frame:
        """Send and await the reply with the same id (same event, or an error on 65535)."""
        rid = await self.send_frame(event, payload, request_id)
        frame = await self.expect(lambda f: f.id == rid and f.event in (event, Event.ERROR), within)
        if frame.event == Event.ERROR and event != Event.ERROR:
            raise RequestError(parse_payload(errors_pb2.ErrorMessage, frame.payload))
        return frame

    async def call(self, event: int, payload: Message | bytes | None, reply_type: type[M], **kw: Any) -> M:
        frame = await self.request(event, payload, **kw)
        return parse_payload(reply_type, frame.payload)

    # -- conveniences ----------------------------------------------------------------------

    async def join(self) -> room_pb2.PeerInfoResponse:
        request = room_pb2.JoinRoomRequest(peer=room_pb2.Peer(peer_id=self.peer_id, user_id=self.user_id))
        return await self.call(Event.JOIN_ROOM, request, room_pb2.PeerInfoResponse)

    async def send_text(self, text: str, *, request_id: str | None = None) -> chat_pb2.ChatMessage:
        reply = await self.call(
            Event.SEND_MESSAGE_TO_ROOM,
            chat_pb2.SendChatMessageToRoomRequest(payload=text),
            chat_pb2.SendChatMessageToRoomResponse,
            request_id=request_id,
        )
        return reply.message

    async def send_private(
        self, text: str, peer_ids: list[str], *, payload_type: int = 0, request_id: str | None = None
    ) -> chat_pb2.ChatMessage:
        request = chat_pb2.SendChatMessageToPeersRequest(
            peer_ids=[*peer_ids, self.peer_id], payload_type=payload_type, payload=text
        )
        reply = await self.call(
            Event.SEND_MESSAGE_TO_PEERS,
            request,
            chat_pb2.SendChatMessageToPeersResponse,
            request_id=request_id,
        )
        return reply.message

    async def send(self, payload_type: int, payload: str) -> chat_pb2.ChatMessage:
        request = chat_pb2.SendChatMessageToRoomRequest(payload_type=payload_type, payload=payload)
        reply = await self.call(Event.SEND_MESSAGE_TO_ROOM, request, chat_pb2.SendChatMessageToRoomResponse)
        return reply.message

    async def page(self, **fields: Any) -> chat_pb2.GetPaginatedChatMessageRoomResponse:
        filters = fields.pop("filters", None)
        request = chat_pb2.GetPaginatedChatMessageRoomRequest(**fields)
        if filters:
            request.filters.CopyFrom(chat_pb2.GetPaginatedChatMessageFilters(**filters))
        return await self.call(
            Event.GET_PAGINATED_MESSAGES, request, chat_pb2.GetPaginatedChatMessageRoomResponse
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader


async def join_all(base_url: str, meeting_id: str, people: list[dict[str, Any]]) -> list[ProtoClient]:
    """Connect each participant in turn and join the room; returns the clients in that order."""
    clients = []
    for person in people:
        client = await ProtoClient.connect(base_url, person, meeting_id)
        await client.join()
        clients.append(client)
    return clients
