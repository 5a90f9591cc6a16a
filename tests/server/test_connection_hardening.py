"""Connection hardening: the per-address socket cap, and the request-head deadline that
closes slowloris connections (nothing sent, one byte, an unfinished head) while normal
clients keep connecting."""

from __future__ import annotations

import asyncio
import ssl
import time

import httpx
import pytest
import websockets
from conftest import create_meeting
from protocol_client import ProtoClient, socket_url

from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.server.tls import self_signed
from rtk_widget.wire.envelope import decode_frame, encode_frame
from rtk_widget.wire.events import Event

HEAD_TIMEOUT_S = 0.3
PER_IP = 3


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(max_connections_per_ip=PER_IP, request_head_timeout_s=HEAD_TIMEOUT_S)


async def open_raw(server, first_bytes: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    if first_bytes:
        writer.write(first_bytes)
        await writer.drain()
    return reader, writer


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bytes:
    """Everything the server sent before closing; fails if it does not close in time."""
    return await asyncio.wait_for(reader.read(), within)


async def released(server, predicate) -> None:
    """Wait until the server has let go of enough sockets from this address."""
    await asyncio.wait_for(server.parts.sockets.wait_for_connections_from("127.0.0.1", predicate), 5)


async def test_slow_connections_are_closed_while_normal_clients_connect(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    started = time.monotonic()
    attackers = [
        await open_raw(server, b""),  # connects and says nothing
        await open_raw(server, b"G"),  # one byte of a request
        # an upgrade whose head never ends
        await open_raw(server, b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"),
    ]
    # A normal client connects, joins and talks while the attackers hold their sockets.
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await client.join()
    assert (await client.send_text("still here")).payload == "still here"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/iceservers")).status_code == 200
    attackers.append(await open_raw(server, b""))  # opened after the client: closes after its deadline
    for reader, writer in attackers:
        assert await closed_by_server(reader, HEAD_TIMEOUT_S + 5.0) == b""
        writer.close()
    assert time.monotonic() - started >= HEAD_TIMEOUT_S  # closed by the deadline, not at once
    # The upgraded socket outlived the deadline: it is not an HTTP request any more.
    assert not client.closed
    assert (await client.send_text("after the deadline")).payload == "after the deadline"
    await client.close()


async def test_a_kept_alive_connection_must_send_its_next_head_in_time(server):
    reader, writer = await open_raw(server, b"GET /iceservers HTTP/1.1\r\nHost: a\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    await reader.readexactly(length)
    writer.write(b"G")  # the next request starts, and never finishes
    await writer.drain()
    assert await closed_by_server(reader, HEAD_TIMEOUT_S + 5.0) == b""
    writer.close()


async def test_sockets_per_address_are_capped(server, make_meeting):
    meeting, people = await make_meeting("ada", "bob", "cy", "dan")
    clients = [await ProtoClient.connect(server.base_url, p, meeting["id"]) for p in people[:PER_IP]]
    for c in clients:
        await c.join()
    assert server.parts.sockets.connections_from("127.0.0.1") == PER_IP
    ws = await websockets.connect(socket_url(server.base_url, people[3]["token"], meeting["id"], "extra"))
    with pytest.raises(websockets.ConnectionClosed) as refused:
        await asyncio.wait_for(ws.recv(), 5)
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4029
    # Capped per address, not per participant: another participant was refused, and once a
    # socket closes there is room again.
    await clients[0].close()
    await released(server, lambda n: n < PER_IP)
    late = await ProtoClient.connect(server.base_url, people[3], meeting["id"])
    await late.join()
    for c in [*clients[1:], late]:
        await c.close()
    await released(server, lambda n: n == 0)


async def test_the_deadline_holds_over_tls_and_spares_upgraded_sockets(tmp_path, make_meeting):
    cert, key = self_signed(tmp_path)
    config = ServerConfig(tls_cert=cert, tls_key=key, request_head_timeout_s=HEAD_TIMEOUT_S)
    async with MeetingServer(config) as tls_server:
        meeting, (ada,) = await create_meeting(tls_server, "ada")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        reader, writer = await asyncio.open_connection("127.0.0.1", tls_server.port, ssl=context)
        writer.write(b"G")
        await writer.drain()
        url = socket_url(tls_server.base_url, ada["token"], meeting["id"], "tls-peer")
        async with websockets.connect(url, ssl=context) as ws:
            assert await closed_by_server(reader, HEAD_TIMEOUT_S + 5.0) == b""
            writer.close()
            # a second one, opened after the upgrade, is closed after the upgraded socket's deadline
            reader, writer = await asyncio.open_connection("127.0.0.1", tls_server.port, ssl=context)
            assert await closed_by_server(reader, HEAD_TIMEOUT_S + 5.0) == b""
            # the upgraded socket outlived the deadline and still answers
            await ws.send(encode_frame(Event.GET_ROOM_INFO, "after"))
            reply = decode_frame(await asyncio.wait_for(ws.recv(), 5))
            assert reply.id == "after"
        writer.close()
