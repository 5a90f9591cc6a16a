"""Keep-alive on the socket: answer "2" with "3"; close after ping_timeout of silence and reconnect;
send "2" ourselves in RealtimeKit's mode. Against a minimal real WebSocket server on loopback."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection, serve

from rtk_widget.client.connection import Backoff, Connection, ConnectionState
from rtk_widget.client.runtime import get_runtime


async def open_connection(port: int, states: list[ConnectionState], *, client_pings: bool,
                          ping_timeout: float = 30.0) -> Connection:
    async def on_open(reconnected: bool) -> None:
        return None

    async def start() -> Connection:
        connection = Connection(lambda: f"ws://127.0.0.1:{port}/ws", peer_id="peer", on_push=lambda f: None,
                                on_open=on_open, on_state=lambda info: states.append(info.state),
                                client_pings=client_pings, backoff=Backoff(0.01, 0.02, 1000),
                                ping_timeout=ping_timeout)
        connection.client_ping_interval = 0.05
        await connection.start()
        return connection

    return await get_runtime().run_async(start())


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
            await pongs.put(data)

    states: list[ConnectionState] = []
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        connection = await open_connection(port, states, client_pings=False, ping_timeout=0.3)
        assert await asyncio.wait_for(pongs.get(), 5) == "3"
        # Then silence: the client gives up on this socket and opens a new one.
        await asyncio.wait_for(reconnected.wait(), 5)
        assert ConnectionState.RECONNECTING in states
        await get_runtime().run_async(connection.close())


async def test_realtimekit_mode_sends_its_own_pings():
    received: asyncio.Queue[str] = asyncio.Queue()

    async def handler(ws: ServerConnection) -> None:
        async for data in ws:
            await received.put(data)

    states: list[ConnectionState] = []
    async with serve(handler, "127.0.0.1", 0) as server:
        connection = await open_connection(server.sockets[0].getsockname()[1], states, client_pings=True)
        assert [await asyncio.wait_for(received.get(), 5) for _ in range(2)] == ["2", "2"]
        assert states == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
        await get_runtime().run_async(connection.close())
