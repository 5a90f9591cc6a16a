"""The socket hands whole binary messages over as they are parsed; fragmented messages, text frames and
whatever arrives behind them take websockets' queue. Either way frames are handled in the order sent.
Against a minimal real WebSocket server on loopback."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection, serve

from rtk_widget.client.connection import Backoff, Connection
from rtk_widget.wire.envelope import Frame, encode_frame
from rtk_widget.wire.events import Event

BURSTS = 20


def numbered(n: int) -> bytes:
    return encode_frame(Event.GET_ROOM_INFO, f"frame-{n}", b"x" * 100)


async def test_whole_fragmented_and_text_frames_are_handled_in_the_order_sent():
    pongs: asyncio.Queue[str | bytes] = asyncio.Queue()

    async def handler(ws: ServerConnection) -> None:
        n = 0
        for _ in range(BURSTS):
            await ws.send(numbered(n))  # whole
            whole = numbered(n + 1)
            await ws.send([whole[:10], whole[10:50], whole[50:]])  # fragmented
            await ws.send(numbered(n + 2))  # whole, right behind the fragments
            await ws.send("2")  # a ping, as text
            await ws.send(numbered(n + 3))
            n += 4
        async for data in ws:
            await pongs.put(data)

    received: list[Frame] = []
    all_in = asyncio.Event()

    def on_push(frame: Frame) -> None:
        received.append(frame)
        if len(received) == 4 * BURSTS:
            all_in.set()

    async def on_open(reconnected: bool) -> None:
        return None

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        connection = Connection(lambda: f"ws://127.0.0.1:{port}/ws", peer_id="peer", on_push=on_push,
                                on_open=on_open, on_state=lambda info: None, client_pings=False,
                                backoff=Backoff(0.01, 0.02, 1))
        await connection.start()
        try:
            await asyncio.wait_for(all_in.wait(), 10)
            assert [f.id for f in received] == [f"frame-{n}" for n in range(4 * BURSTS)]
            assert [await asyncio.wait_for(pongs.get(), 10) for _ in range(BURSTS)] == ["3"] * BURSTS
        finally:
            await connection.close()
