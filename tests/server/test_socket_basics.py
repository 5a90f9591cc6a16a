"""Room events, pushes to others, keep-alive and the catch-all reply."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from protocol_client import ProtoClient, socket_url

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, plugin_pb2, room_pb2
from rtk_widget.wire.envelope import encode_frame, parse_payload
from rtk_widget.wire.events import PING, Event
from rtk_widget.wire.socket_message_pb2 import SocketMessage


async def connect(server, meeting, person, **kw) -> ProtoClient:
    return await ProtoClient.connect(server.base_url, person, meeting["id"], **kw)


async def test_join_peers_info_and_leave_pushes(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    a = await connect(server, meeting, ada)
    joined = await a.join()
    assert joined.peer.peer_id == a.peer_id
    assert joined.peer.user_id == ada["id"]
    assert joined.peer.display_name == "Ada"

    b = await connect(server, meeting, bob)
    await b.join()
    push = await a.expect_push(Event.JOIN_ROOM)
    assert parse_payload(room_pb2.PeerInfoResponse, push.payload).peer.peer_id == b.peer_id

    frame = await b.request(Event.GET_ROOM_PEERS_INFO)
    assert frame.payload is not None
    peers = parse_payload(room_pb2.RoomPeersInfoResponse, frame.payload).peers
    assert {p.peer_id for p in peers} == {a.peer_id, b.peer_id}

    info = await b.call(Event.GET_ROOM_INFO, None, room_pb2.RoomInfoResponse)
    assert info.room.room_id == meeting["id"]
    assert info.room.title == "Test meeting"

    await b.request(Event.LEAVE_ROOM, room_pb2.LeaveRoomRequest())
    left = await a.expect_push(Event.LEAVE_ROOM)
    assert parse_payload(room_pb2.PeerInfoResponse, left.payload).peer.peer_id == b.peer_id
    await a.close()
    await b.close()


async def test_socket_close_pushes_leave(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    a, b = await connect(server, meeting, ada), await connect(server, meeting, bob)
    await a.join()
    await b.join()
    await a.expect_push(Event.JOIN_ROOM)
    await b.close()
    left = await a.expect_push(Event.LEAVE_ROOM)
    assert parse_payload(room_pb2.PeerInfoResponse, left.payload).peer.peer_id == b.peer_id
    await a.close()


async def test_empty_peers_reply_still_carries_a_payload(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    raw = await websockets.connect(socket_url(server.base_url, ada["token"], meeting["id"], "p1"))
    await raw.send(encode_frame(Event.GET_ROOM_PEERS_INFO, "peers-1"))  # not joined: nobody in the room
    envelope = SocketMessage()
    while not envelope.HasField("id"):
        data = await asyncio.wait_for(raw.recv(), 5)
        if isinstance(data, bytes):
            envelope.ParseFromString(data)
    assert envelope.id == "peers-1"
    assert envelope.HasField("payload")  # present, though empty: the SDK destructures {peers}
    await raw.close()


async def test_plugin_store_echoes_ids_and_dump_names_the_meeting(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = await connect(server, meeting, ada)
    reply = await a.call(
        Event.PLUGIN_STORE_GET_KEYS,
        plugin_pb2.PluginStoreGetKeysRequest(plugin_id=meeting["id"], store_name="__rtk_plugins__"),
        plugin_pb2.PluginStoreResponse,
    )
    assert (reply.plugin_id, reply.store_name) == (meeting["id"], "__rtk_plugins__")
    assert list(reply.store_items) == []
    dump = await a.call(Event.GET_CONNECTED_ROOMS_DUMP, None, room_pb2.GetConnectedRoomsDumpResponse)
    assert dump.parent_meeting.id == meeting["id"]  # the SDK reads it without a null check
    assert dump.parent_meeting.title == "Test meeting"
    assert list(dump.meetings) == []
    await a.close()


async def test_unknown_event_gets_empty_reply_with_same_id(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = await connect(server, meeting, ada)
    for event in (Event.GET_POLLS, 50331664, 12345678, Event.GET_WAITING_ROOM_REQUESTS):
        frame = await a.request(event, b"\x08\x01")
        assert frame.event == event
        assert frame.payload == b""
    await a.close()


async def test_sender_gets_own_message_with_request_id_others_without(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    a, b = await connect(server, meeting, ada), await connect(server, meeting, bob)
    await a.join()
    await b.join()
    rid = await a.send_frame(Event.SEND_MESSAGE_TO_ROOM, chat_pb2.SendChatMessageToRoomRequest(payload="hi"))
    own = await a.expect(lambda f: f.event == Event.SEND_MESSAGE_TO_ROOM)
    assert own.id == rid
    pushed = await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)
    m1 = parse_payload(chat_pb2.SendChatMessageToRoomResponse, own.payload).message
    m2 = parse_payload(chat_pb2.SendChatMessageToRoomResponse, pushed.payload).message
    assert m1 == m2
    assert m1.user_id == ada["id"]
    assert m1.peer_id == a.peer_id
    assert m1.display_name == "Ada"
    assert m1.payload == "hi"
    assert m1.channel_index == "1"
    assert m1.created_at == m1.created_at_ms // 1000
    await a.close()
    await b.close()


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, ping_interval_s=0.05)


async def test_server_pings_and_accepts_pongs(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = await connect(server, meeting, ada)

    async def pinged() -> None:
        while a.texts.count(PING) < 2:
            a._changed.clear()
            await a._changed.wait()

    await asyncio.wait_for(pinged(), 5)
    await a.ws.send("2")  # a client-side ping is answered with "3"
    await asyncio.wait_for(_until(lambda: "3" in a.texts, a), 5)
    await a.join()  # still healthy
    await a.close()


async def _until(cond, client: ProtoClient) -> None:
    while not cond():
        client._changed.clear()
        await client._changed.wait()


async def test_reconnect_with_old_peer_id_replaces_the_stale_peer(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    b = await connect(server, meeting, bob)
    await b.join()
    first = await connect(server, meeting, ada, peer_id="ada-1")
    await first.join()
    await b.expect_push(Event.JOIN_ROOM)
    second = await connect(server, meeting, ada, peer_id="ada-2", oldPeerID="ada-1")
    closed = await first.wait_closed()
    assert closed.rcvd.code == 4009
    left = await b.expect_push(Event.LEAVE_ROOM)
    assert parse_payload(room_pb2.PeerInfoResponse, left.payload).peer.peer_id == "ada-1"
    await second.join()
    joined = await b.expect_push(Event.JOIN_ROOM)
    assert parse_payload(room_pb2.PeerInfoResponse, joined.payload).peer.peer_id == "ada-2"
    # someone else's old peer id is left alone
    b2 = await connect(server, meeting, bob, peer_id="bob-2", oldPeerID="ada-2")
    assert (await second.send_text("still here")).peer_id == "ada-2"
    for c in (b, b2, second):
        await c.close()
