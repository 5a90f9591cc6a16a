"""A TCP proxy on 127.0.0.1 that breaks connections on purpose (fault tests).

It forwards bytes both ways and can:
- ``cut_all()``: close every live connection at once (a network blip);
- ``refuse``: close new connections at once (the network stays down);
- ``blackhole``: stop forwarding client → server bytes (a request that is never answered);
- ``drop_ack``: parse the server's WebSocket frames and, when the predicate matches one,
  close the connection *instead of* forwarding it (the server committed and answered,
  the client never hears);
- ``stall_all()``: stop forwarding on every live connection, both ways, without closing it
  (a link that died silently: a sleeping laptop, a proxy that stopped forwarding);
- ``lifetime``: cut each new connection that many seconds after it opened (a flaky network);
- ``rewrite``: replace each binary server frame's payload (a server that answers differently).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable

from rtk_widget.wire.envelope import Frame, MalformedFrameError, decode_frame

Pair = tuple[asyncio.StreamWriter, asyncio.StreamWriter]


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.blackhole = False
        self.refuse = False
        self.drop_ack: Callable[[Frame], bool] | None = None
        self.lifetime: Callable[[], float] | None = None
        self.rewrite: Callable[[bytes], bytes] | None = None
        self.accepted = 0
        self.cuts = 0
        self.dropped_acks = 0
        self._server: asyncio.Server | None = None
        self._pairs: set[Pair] = set()
        self._stalled: set[Pair] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut_all()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def cut_all(self) -> int:
        """Close every live connection; returns how many were cut."""
        pairs = list(self._pairs)
        for client, upstream in pairs:
            _abort(client)
            _abort(upstream)
        self._pairs.clear()
        self.cuts += len(pairs)
        return len(pairs)

    def stall_all(self) -> int:
        """Stop forwarding on every live connection, leaving it open; returns how many."""
        self._stalled.update(self._pairs)
        return len(self._pairs)

    def is_open(self, pair: Pair) -> bool:
        """True while ``pair`` (one of :meth:`stall_all`'s) has not been closed by either side."""
        return pair in self._pairs

    def stalled(self) -> list[Pair]:
        """The stalled connections, open or not."""
        return list(self._stalled)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            _abort(client_writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _abort(client_writer)
            return
        pair = (client_writer, up_writer)
        self._pairs.add(pair)
        self.accepted += 1
        if self.lifetime is not None:
            asyncio.get_running_loop().call_later(self.lifetime(), self._cut, pair)
        upward = asyncio.create_task(self._pump(client_reader, up_writer, pair, upstream=True))
        downward = asyncio.create_task(self._pump_frames(up_reader, client_writer, pair))
        self._tasks.update((upward, downward))
        for task in (upward, downward):
            task.add_done_callback(self._tasks.discard)

    def _cut(self, pair: Pair) -> None:
        if pair in self._pairs:
            self._close(pair)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    pair: Pair, *, upstream: bool) -> None:
        try:
            while data := await reader.read(65536):
                if (upstream and self.blackhole) or pair in self._stalled:
                    continue
                if not await self._forward(pair, writer, data):
                    return
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._close(pair)

    async def _pump_frames(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           pair: Pair) -> None:
        """Server → client: the HTTP head as-is, then one WebSocket frame at a time."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if not await self._forward(pair, writer, head):
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                while data := await reader.read(65536):  # plain HTTP: just forward
                    if not await self._forward(pair, writer, data):
                        return
                return
            while True:
                frame_bytes, payload, opcode = await _read_ws_frame(reader)
                if pair in self._stalled:
                    continue
                if opcode == 2 and self.drop_ack is not None and self._should_drop(payload):
                    self.dropped_acks += 1
                    return
                if opcode == 2 and self.rewrite is not None:
                    frame_bytes = _binary_frame(self.rewrite(payload))
                if not await self._forward(pair, writer, frame_bytes):
                    return
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._close(pair)

    async def _forward(self, pair: Pair, writer: asyncio.StreamWriter, data: bytes) -> bool:
        """Pass ``data`` on; False once ``pair`` is closed (a cut leaves bytes in the reader's buffer)."""
        if pair not in self._pairs:
            return False
        writer.write(data)
        await writer.drain()
        return True

    def _should_drop(self, payload: bytes) -> bool:
        assert self.drop_ack is not None
        try:
            return self.drop_ack(decode_frame(payload))
        except MalformedFrameError:
            return False

    def _close(self, pair: Pair) -> None:
        if pair in self._pairs:
            self._pairs.discard(pair)
            self.cuts += 1
        for writer in pair:
            _abort(writer)


async def _read_ws_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes, int]:
    """One server frame (unmasked): its raw bytes, its payload, its opcode."""
    header = await reader.readexactly(2)
    opcode, length = header[0] & 0x0F, header[1] & 0x7F
    extra = b""
    if length == 126:
        extra = await reader.readexactly(2)
        length = struct.unpack("!H", extra)[0]
    elif length == 127:
        extra = await reader.readexactly(8)
        length = struct.unpack("!Q", extra)[0]
    mask = await reader.readexactly(4) if header[1] & 0x80 else b""
    payload = await reader.readexactly(length)
    return header + extra + mask + payload, payload, opcode


def _binary_frame(payload: bytes) -> bytes:
    """An unmasked, final binary WebSocket frame (as a server sends) holding ``payload``."""
    size = len(payload)
    if size < 126:
        return bytes([0x82, size]) + payload
    if size < 2**16:
        return bytes([0x82, 126]) + struct.pack("!H", size) + payload
    return bytes([0x82, 127]) + struct.pack("!Q", size) + payload


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
