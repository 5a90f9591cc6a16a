"""A participant that stops reading is dropped (close 1013) once its bounded queue is full;
the others keep receiving everything."""

from __future__ import annotations

import base64
import os
import socket

import pytest
import websockets
from protocol_client import ProtoClient, socket_url

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, room_pb2
from rtk_widget.wire.envelope import encode_frame
from rtk_widget.wire.events import Event


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, send_queue_frames=64, text_rate=10**9)


async def test_stalled_reader_is_dropped_others_unaffected(server, make_meeting):
    meeting, (ada, bob, stall) = await make_meeting("ada", "bob", "stall")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await a.join()
    await b.join()
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    url = socket_url(server.base_url, stall["token"], meeting["id"], "stalled-peer")
    stalled = await websockets.connect(url, sock=raw, max_queue=1, open_timeout=5)
    await stalled.send(encode_frame(Event.JOIN_ROOM, "j", room_pb2.JoinRoomRequest()))
    # from here on, `stalled` never reads again
    text = base64.b64encode(os.urandom(1500)).decode()  # incompressible: deflate must not shrink it
    dropped = None
    for i in range(5000):
        rid = await a.send_frame(Event.SEND_MESSAGE_TO_ROOM, chat_pb2.SendChatMessageToRoomRequest(payload=text))
        await a.expect(lambda f, rid=rid: f.id == rid)
        await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)  # bob keeps up with every message
        stalled_conn = server.parts.rooms.get(meeting["id"], "stalled-peer")
        if i % 500 == 0:
            print(i, stalled_conn and stalled_conn.outbox.qsize(), stalled_conn and stalled_conn.joined)
        if stalled_conn is None or stalled_conn.closed:
            dropped = i
            break
    assert dropped is not None, "the stalled peer was never dropped"
    assert server.parts.rooms.get(meeting["id"], "stalled-peer") is None or stalled_conn.closed
    await a.send_text("still flowing")
    await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)
    await stalled.close()
    await a.close()
    await b.close()
