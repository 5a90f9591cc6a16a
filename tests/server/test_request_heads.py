"""Hostile request heads: an oversize head (a WebSocket upgrade or a plain request) is answered
at once with 431 and closed, a head the WebSocket handshake cannot parse gets a 4xx and a
close, none of them holds a socket or escapes the per-address cap, ``stop()`` stays clean
with them around, and other clients keep being served."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from conftest import create_meeting
from protocol_client import ProtoClient, join_all

from rtk_widget.server import MeetingServer, ServerConfig

PER_IP = 3
LONG_QUERY = "x" * 9_000  # over the 8 KiB head limit, under h11's own 16 KiB
UPGRADE = (
    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.fixture
def server_config() -> ServerConfig:
    # A long head deadline: what these tests see must come from the head checks, not the timer.
    return ServerConfig(max_connections_per_ip=PER_IP, request_head_timeout_s=60)


async def exchange(server: MeetingServer, *parts: bytes) -> bytes:
    """Send ``parts`` one write each; everything the server answers before it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)  # fails unless the server closes
    finally:
        writer.close()


def upgrade_head(target: str, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\n{UPGRADE}{extra}\r\n".encode()


async def still_serving(server: MeetingServer, person: dict, meeting_id: str, text: str) -> None:
    client = await ProtoClient.connect(server.base_url, person, meeting_id)
    await client.join()
    assert (await client.send_text(text)).payload == text
    await client.close()


async def test_an_oversize_upgrade_head_gets_431_at_once(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    answer = await exchange(server, upgrade_head(f"/ws?pad={LONG_QUERY}"))
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"connection: close" in answer.lower()
    await still_serving(server, ada, meeting["id"], "after a long upgrade")


@pytest.mark.parametrize(
    "head",
    [
        f"GET /iceservers?pad={LONG_QUERY} HTTP/1.1\r\nHost: a\r\n\r\n",
        f"GET /iceservers HTTP/1.1\r\nHost: a\r\nX-Pad: {LONG_QUERY}\r\n\r\n",
        "GET /iceservers HTTP/1.1\r\nHost: a\r\n" + "X-Pad: 0123456789\r\n" * 600 + "\r\n",
        f"POST /v2/meetings/chat-upload?pad={LONG_QUERY} HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: 2\r\n\r\n{}",
    ],
    ids=["query", "one-header", "many-headers", "post"],
)
async def test_an_oversize_plain_head_gets_431(server, head):
    answer = await exchange(server, head.encode())
    assert answer.startswith(b"HTTP/1.1 431 ")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/iceservers")).status_code == 200


async def test_a_head_growing_past_the_limit_is_cut_off_before_it_ends(server):
    """A head trickled in pieces is refused as soon as it is too long, not at the deadline."""
    first = b"GET /ws HTTP/1.1\r\nHost: a\r\n"
    padding = [f"X-Pad-{i}: {'y' * 1000}\r\n".encode() for i in range(12)]
    answer = await exchange(server, first, *padding)  # no blank line: the head never ends
    assert answer.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize(
    "head",
    [
        upgrade_head("/ws", method="POST"),  # h11 hands it to the WebSocket side, which wants GET
        upgrade_head("/ws", extra="Content-Length: 5\r\n"),  # a body on an upgrade
        upgrade_head("/ws", extra="".join(f"X-{i}: v\r\n" for i in range(200))),  # too many fields
    ],
    ids=["post", "body", "fields"],
)
async def test_an_upgrade_the_handshake_refuses_is_answered_and_closed(server, make_meeting, head):
    meeting, (ada,) = await make_meeting("ada")
    answer = await exchange(server, head)
    assert re.match(rb"HTTP/1.1 4\d\d ", answer), answer[:80]  # 400, 405 or 431
    await still_serving(server, ada, meeting["id"], "after a bad upgrade")


async def test_bad_heads_hold_no_slot_of_the_per_address_cap(server, make_meeting):
    meeting, people = await make_meeting("ada", "bob", "cy", "dan")
    bad = [upgrade_head(f"/ws?pad={LONG_QUERY}"), upgrade_head("/ws", method="POST")]
    answers = await asyncio.gather(*(exchange(server, bad[i % 2]) for i in range(4 * PER_IP)))
    assert all(re.match(rb"HTTP/1.1 4\d\d ", a) for a in answers)
    # The cap still counts every socket: exactly PER_IP normal clients fit, the next is refused.
    clients = await join_all(server.base_url, meeting["id"], people[:PER_IP])
    assert server.parts.sockets.connections_from("127.0.0.1") == PER_IP
    refused = await (await ProtoClient.connect(server.base_url, people[3], meeting["id"])).wait_closed()
    assert refused.rcvd is not None
    assert refused.rcvd.code == 4029
    assert (await clients[0].send_text("all fine")).payload == "all fine"
    for c in clients:
        await c.close()


async def test_stop_is_clean_with_bad_heads_around():
    server = MeetingServer(ServerConfig(request_head_timeout_s=60))
    await server.start()
    meeting, (ada,) = await create_meeting(server, "ada")
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await client.join()
    bad = []
    for head in (upgrade_head(f"/ws?pad={LONG_QUERY}"), upgrade_head("/ws", method="POST")):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(head)
        await writer.drain()
        bad.append((reader, writer))
    # and one still sending its head when the server stops
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /ws HTTP/1.1\r\nHost: a\r\n")
    await writer.drain()
    bad.append((reader, writer))
    await asyncio.wait_for(server.stop(), 20)  # raised AssertionError from the WebSocket side before
    for reader, writer in bad:
        await asyncio.wait_for(reader.read(), 5)  # every one of them is closed
        writer.close()
    closed = await client.wait_closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1001
