"""Keep-alive on the socket: answer "2" with "3"; find a dead link within ping_timeout in both ping
modes, even one that fails silently; keep a quiet healthy link. Against a minimal real WebSocket
server on loopback, through the fault proxy where a link must die."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from rtk_widget.client.connection import Backoff, Connection, ConnectionInfo, ConnectionState
from rtk_widget.client.runtime import get_runtime

from .proxy import FaultProxy


async def open_connection(port: int, infos: list[ConnectionInfo], *, client_pings: bool,
                          ping_timeout: float = 30.0, client_ping_interval: float = 0.05) -> Connection:
    async def on_open(reconnected: bool) -> None:
        return None

    async def start() -> Connection:
        connection = Connection(lambda: f"ws://127.0.0.1:{port}/ws", peer_id="peer", on_push=lambda f: None,
                                on_open=on_open, on_state=infos.append,
                                client_pings=client_pings, backoff=Backoff(0.01, 0.02, 1000),
                                ping_timeout=ping_timeout)
        connection.client_ping_interval = client_ping_interval
        await connection.start()
        return connection

    return await get_runtime().run_async(start())


class PingServer:
    """A WebSocket server that records what it receives and, if ``answers``, answers "2" with "3"."""

    def __init__(self, *, answers: bool) -> None:
        self.answers = answers
        self.connections: list[ServerConnection] = []
        self.received: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.opened = asyncio.Condition()

    async def handler(self, ws: ServerConnection) -> None:
        async with self.opened:
            self.connections.append(ws)
            self.opened.notify_all()
        async for data in ws:
            await self.received.put(data)
            if data == "2" and self.answers:
                await ws.send("3")

    async def wait_for_connections(self, count: int) -> None:
        async with self.opened:
            await asyncio.wait_for(self.opened.wait_for(lambda: len(self.connections) >= count), 10)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[PingServer, Server]]:
    ping_server = PingServer(answers=True)
    async with serve(ping_server.handler, "127.0.0.1", 0) as server:
        yield ping_server, server


@pytest.fixture
async def ping_proxy(upstream: tuple[PingServer, Server]) -> AsyncIterator[FaultProxy]:
    proxy = FaultProxy(upstream[1].sockets[0].getsockname()[1])
    await proxy.start()
    yield proxy
    await proxy.stop()


async def test_pings_are_answered_and_silence_reconnects():
    pongs: asyncio.Queue[str] = asyncio.Queue()
    connections: list[ServerConnection] = []
    reconnected = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        connections.append(ws)
        if len(connections) == 1:
            await ws.send("2")
        else:
            reconnected.set()
        async for data in ws:
            if data != "2":  # the client's own probes are not answers
                await pongs.put(data)

    infos: list[ConnectionInfo] = []
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        connection = await open_connection(port, infos, client_pings=False, ping_timeout=0.3)
        assert await asyncio.wait_for(pongs.get(), 5) == "3"
        # Then silence, probes unanswered: the client gives up on this socket and opens a new one.
        await asyncio.wait_for(reconnected.wait(), 5)
        assert ConnectionState.RECONNECTING in [info.state for info in infos]
        await get_runtime().run_async(connection.close())


@pytest.mark.parametrize("client_pings", [False, True], ids=["ping-mode", "realtimekit-mode"])
async def test_a_silently_dead_link_is_replaced_within_the_ping_timeout(upstream, ping_proxy, client_pings):
    ping_server, _ = upstream
    proxy = ping_proxy
    infos: list[ConnectionInfo] = []
    connection = await open_connection(proxy.port, infos, client_pings=client_pings, ping_timeout=0.6,
                                       client_ping_interval=0.1)
    # The server answers pings, so the link lives past several ping timeouts...
    for _ in range(4):
        assert await asyncio.wait_for(ping_server.received.get(), 5) == "2"
    assert len(ping_server.connections) == 1
    # ...until it stops forwarding, closing nothing: only the client's ping timeout can notice.
    assert proxy.stall_all() == 1
    [stalled] = proxy.stalled()
    await ping_server.wait_for_connections(2)
    assert not proxy.is_open(stalled)  # the client cut the dead link; nobody closed it for it
    dropped = next(info for info in infos if info.state is ConnectionState.RECONNECTING)
    assert dropped.reason is not None
    assert "ping timeout 0.6 s" in dropped.reason
    await get_runtime().run_async(connection.close())


async def test_a_quiet_healthy_link_is_kept_by_probes(upstream):
    ping_server, server = upstream
    infos: list[ConnectionInfo] = []
    # The server never speaks first: only the client's probes after half the timeout keep it alive.
    connection = await open_connection(server.sockets[0].getsockname()[1], infos, client_pings=False,
                                       ping_timeout=0.3)
    await assert_kept_alive(ping_server, connection, infos, pings=6)


async def test_realtimekit_mode_sends_its_own_pings_and_never_cuts_a_server_that_does_not_answer():
    ping_server = PingServer(answers=False)
    infos: list[ConnectionInfo] = []
    async with serve(ping_server.handler, "127.0.0.1", 0) as server:
        connection = await open_connection(server.sockets[0].getsockname()[1], infos, client_pings=True,
                                           ping_timeout=0.2)
        # Many ping timeouts of silence pass: without a "3" ever seen, silence proves nothing here.
        await assert_kept_alive(ping_server, connection, infos, pings=12)


async def assert_kept_alive(ping_server: PingServer, connection: Connection, infos: list[ConnectionInfo], *,
                            pings: int) -> None:
    """The server receives ``pings`` pings on the one socket the client opened, then it closes."""
    for _ in range(pings):
        assert await asyncio.wait_for(ping_server.received.get(), 5) == "2"
    assert len(ping_server.connections) == 1
    assert [info.state for info in infos] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    await get_runtime().run_async(connection.close())
