"""Random private traffic among five users; a sixth records everything it can see through
every channel (live pushes, history, pages in both directions, pinned, search, sync).
Nothing private may reach anyone outside its audience."""

from __future__ import annotations

import random

import pytest
from protocol_client import ProtoClient, join_all

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.envelope import parse_payload
from rtk_widget.wire.events import Event

CHAT_PUSHES = (Event.SEND_MESSAGE_TO_ROOM, Event.SEND_MESSAGE_TO_PEERS, Event.EDIT_MESSAGE, Event.PIN_MESSAGE)


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, text_rate=10**6)


async def everything_seen(client: ProtoClient) -> set[str]:
    """Message ids visible to ``client`` through each read path."""
    seen: set[str] = set()
    history = await client.call(Event.GET_MESSAGES, None, chat_pb2.GetChatMessagesResponse)
    seen |= {m.chat_id for m in history.messages}
    for reversed_ in (True, False):
        seen |= {m.chat_id for m in (await client.page(size=500, reversed=reversed_)).messages}
    seen |= {
        m.chat_id for m in (await client.page(size=500, reversed=True, filters={"pinned": True})).messages
    }
    found = await client.call(
        Event.SEARCH_CHANNEL_MESSAGES,
        chat_pb2.SearchChatMessagesRequest(search_term="msg", size=500, reversed=True),
        chat_pb2.GetChatMessagesResponse,
    )
    seen |= {m.chat_id for m in found.messages}
    sync = await client.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(limit=500), sync_pb2.SyncResponse)
    seen |= {m.chat_id for m in sync.messages}
    for frame in client.frames:
        if frame.event in CHAT_PUSHES:
            kind = {
                Event.SEND_MESSAGE_TO_ROOM: chat_pb2.SendChatMessageToRoomResponse,
                Event.SEND_MESSAGE_TO_PEERS: chat_pb2.SendChatMessageToPeersResponse,
                Event.EDIT_MESSAGE: chat_pb2.EditChatMessageResponse,
                Event.PIN_MESSAGE: chat_pb2.PinChatMessageResponse,
            }[frame.event]
            seen.add(parse_payload(kind, frame.payload).message.chat_id)
    return seen


async def test_no_private_message_leaks(server, make_meeting):
    rng = random.Random(7)
    names = ["u0", "u1", "u2", "u3", "u4", "watcher"]
    meeting, people = await make_meeting(*names)
    clients = await join_all(server.base_url, meeting["id"], people)
    senders, watcher = clients[:5], clients[5]
    audience: dict[str, set[str] | None] = {}  # id -> user ids, None = public
    for i in range(200):
        sender = rng.choice(senders)
        if rng.random() < 0.2:
            m = await sender.send_text(f"msg public {i}")
            audience[m.chat_id] = None
        else:
            others = [c for c in senders if c is not sender]
            targets = rng.sample(others, rng.randint(1, 3))
            m = await sender.send_private(f"msg private {i}", [t.peer_id for t in targets])
            audience[m.chat_id] = {sender.user_id, *(t.user_id for t in targets)}
        if rng.random() < 0.1:  # hosts pin and edit; the pushes go to the audience only
            await sender.request(
                Event.PIN_MESSAGE, chat_pb2.PinChatMessageRequest(chat_id=m.chat_id, pinned=True)
            )
        if rng.random() < 0.1:
            await sender.request(
                Event.EDIT_MESSAGE,
                chat_pb2.EditChatMessageRequest(chat_id=m.chat_id, payload=f"msg edited {i}"),
            )
    # a round trip per client: every push queued before its reply has arrived
    for c in clients:
        await c.request(Event.GET_ROOM_INFO)
    public = {mid for mid, who in audience.items() if who is None}
    assert await everything_seen(watcher) == public
    for c in senders:
        mine = {mid for mid, who in audience.items() if who is None or c.user_id in who}
        assert await everything_seen(c) == mine
    for c in clients:
        await c.close()
