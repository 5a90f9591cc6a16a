"""A client that applies pushes, drops off now and then, and catches up with SYNC_CHANGES from
the last revision it applied ends with exactly the server's state."""

from __future__ import annotations

import random

import pytest
from protocol_client import ProtoClient, RequestError

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import Frame, parse_payload
from rtk_widget.wire.events import Event


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, text_rate=10**6)


class Replica:
    """A client-side copy of the chat: message id -> ChatMessage, and the revision applied."""

    def __init__(self) -> None:
        self.messages: dict[str, chat_pb2.ChatMessage] = {}
        self.rev = 0

    def upsert(self, message: chat_pb2.ChatMessage) -> None:
        current = self.messages.get(message.chat_id)
        if current is None or current.rev <= message.rev:
            self.messages[message.chat_id] = message
        self.rev = max(self.rev, message.rev)

    def apply_push(self, frame: Frame) -> None:
        if frame.event == Event.DELETE_MESSAGE:
            deleted = parse_payload(chat_pb2.DeleteChatMessageResponse, frame.payload)
            self.messages.pop(deleted.chat_id, None)
            self.rev = max(self.rev, deleted.rev)
            return
        kind = {
            Event.SEND_MESSAGE_TO_ROOM: chat_pb2.SendChatMessageToRoomResponse,
            Event.SEND_MESSAGE_TO_PEERS: chat_pb2.SendChatMessageToPeersResponse,
            Event.EDIT_MESSAGE: chat_pb2.EditChatMessageResponse,
            Event.PIN_MESSAGE: chat_pb2.PinChatMessageResponse,
        }.get(frame.event)
        if kind is not None:
            self.upsert(parse_payload(kind, frame.payload).message)

    async def catch_up(self, client: ProtoClient) -> None:
        more = True
        while more:
            answer = await client.call(
                Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=self.rev, limit=7), sync_pb2.SyncResponse
            )
            for message in answer.messages:
                self.upsert(message)
            for deleted in answer.deleted_ids:
                self.messages.pop(deleted, None)
            self.rev, more = answer.rev, answer.more


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_pushes_plus_sync_converge(server, make_meeting, seed):
    rng = random.Random(seed)
    meeting, (ada, bob, eve) = await make_meeting("ada", "bob", "eve")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await a.join()
    await b.join()
    replica = Replica()
    observer: ProtoClient | None = None
    live: list[str] = []
    refusals: set[int] = set()
    for step in range(150):
        if observer is None and rng.random() < 0.15:
            observer = await ProtoClient.connect(server.base_url, eve, meeting["id"])
            await observer.join()
            await replica.catch_up(observer)
        elif observer is not None and rng.random() < 0.1:
            await observer.request(Event.GET_ROOM_INFO)  # everything pushed so far has arrived
            for frame in observer.frames:
                replica.apply_push(frame)
            await observer.close()
            observer = None
        actor = rng.choice([a, b])
        op = rng.random()
        if op < 0.45 or not live:
            if rng.random() < 0.3:
                other = b if actor is a else a
                target = eve["id"] if rng.random() < 0.5 else other.user_id
                m = await actor.send_private(f"dm {step}", [target])
            else:
                m = await actor.send_text(f"msg {step}")
            live.append(m.chat_id)
        else:
            target = rng.choice(live)
            if op < 0.7:
                event, request = (
                    Event.EDIT_MESSAGE,
                    chat_pb2.EditChatMessageRequest(chat_id=target, payload=f"e{step}"),
                )
            elif op < 0.85:
                event, request = (
                    Event.PIN_MESSAGE,
                    chat_pb2.PinChatMessageRequest(chat_id=target, pinned=rng.random() < 0.6),
                )
            else:
                event, request = Event.DELETE_MESSAGE, chat_pb2.DeleteChatMessageRequest(chat_id=target)
            try:
                await actor.request(event, request)
            except RequestError as exc:  # someone else's private message: invisible to the actor
                refusals.add(exc.code)
            else:
                if event == Event.DELETE_MESSAGE:
                    live.remove(target)
    if observer is None:
        observer = await ProtoClient.connect(server.base_url, eve, meeting["id"])
        await observer.join()
    else:
        await observer.request(Event.GET_ROOM_INFO)
        for frame in observer.frames:
            replica.apply_push(frame)
    await replica.catch_up(observer)
    truth = Replica()
    await truth.catch_up(observer)
    assert refusals <= {ErrorCode.NOT_FOUND}
    assert replica.messages == truth.messages
    assert replica.rev == truth.rev
    for c in (a, b, observer):
        await c.close()
