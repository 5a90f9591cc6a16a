"""A participant that stops reading is dropped (close 1013) once its bounded queue is full;
the others keep receiving everything."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from urllib.parse import urlsplit

import pytest
from protocol_client import ProtoClient, socket_url

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2
from rtk_widget.wire.events import Event


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, send_queue_frames=64, text_rate=10**9)


async def open_and_stall(url: str) -> asyncio.StreamWriter:
    """A WebSocket handshake by hand on a socket with a tiny receive buffer, then no reads."""
    parts = urlsplit(url)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=raw, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    status = await reader.readline()
    assert b"101" in status
    # join: a masked binary frame holding SocketMessage{event: 3, id: "j"}
    payload = bytes([0x08, 0x03, 0x12, 0x01]) + b"j"
    mask = os.urandom(4)
    writer.write(
        bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )
    await writer.drain()
    return writer


async def test_stalled_reader_is_dropped_others_unaffected(server, make_meeting):
    meeting, (ada, bob, stall) = await make_meeting("ada", "bob", "stall")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await a.join()
    await b.join()
    stalled = await open_and_stall(socket_url(server.base_url, stall["token"], meeting["id"], "stalled-peer"))
    await a.expect_push(Event.JOIN_ROOM)  # the stalled peer joined (and will never read again)
    text = base64.b64encode(os.urandom(1500)).decode()  # incompressible: deflate must not shrink it
    dropped_after = None
    for i in range(20_000):
        rid = await a.send_frame(
            Event.SEND_MESSAGE_TO_ROOM, chat_pb2.SendChatMessageToRoomRequest(payload=text)
        )
        await a.expect(lambda f, rid=rid: f.id == rid)
        await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)  # bob keeps up with every message
        conn = server.parts.rooms.get(meeting["id"], "stalled-peer")
        if conn is None or conn.closed:
            dropped_after = i
            break
    assert dropped_after is not None, "the stalled peer was never dropped"
    await a.expect_push(Event.LEAVE_ROOM)  # the others learn it left
    await a.send_text("still flowing")
    await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)
    stalled.close()
    await a.close()
    await b.close()
