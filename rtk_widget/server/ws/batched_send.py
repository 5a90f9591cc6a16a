"""Several outbound frames of one socket written to the transport at once, without a task.

ASGI sends one WebSocket message per ``send`` call: an awaited coroutine through Starlette's
wrappers, uvicorn's checks and one ``transport.write`` (one system call) each. A group commit
hands every peer several frames at once, and a fan-out writes to every peer in one turn of the
loop, so the protocol the server runs offers the app a scope extension, ``SEND_FRAMES``: a
:class:`~rtk_widget.server.ws.outbox.FrameWriter` that frames each frame (still one WebSocket
message per frame) and writes them all with a single ``transport.write``, synchronously when
the transport is not paused (uvicorn's own ``send`` waits for the same condition).

Inbound, the same protocol can hand binary messages straight to a :class:`FrameSink` as they are
parsed, instead of queueing each for the app's ``receive``: the ASGI path costs a turn of the
loop per message, Starlette's and uvicorn's receive wrappers, and a pause and resume of the
socket's reading (two ``epoll_ctl`` calls). Profiled on one message at a time, it was a fifth of
the server's time between the socket and the chat handler. The queue stays the path for
everything else, and for every message while the sink is not ready or the queue is not empty,
so the app sees messages in the order they came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.websockets import WebSocket
from uvicorn.protocols.utils import ClientDisconnected
from websockets.exceptions import InvalidState
from websockets.frames import Frame
from websockets.http11 import Request

from rtk_widget.server.websocket_handshake import HandshakeGuardedProtocol

SEND_FRAMES = "rtk_widget.websocket.send_frames"
"""Scope extension: the connection's :class:`FrameWriter` (frames are ``bytes`` or ``str``)."""


class FrameSink(Protocol):
    """Takes a socket's binary messages as they are parsed (:meth:`BatchedSendProtocol.set_frame_sink`)."""

    def ready(self) -> bool:
        """True when the next message may be handled now, in the order it came."""

    def receive(self, data: bytes) -> None:
        """Handle one binary message (called from the protocol's ``data_received``)."""

    def received_all(self) -> None:
        """Everything parsed from one read of the socket has been handed over."""


class BatchedSendProtocol(HandshakeGuardedProtocol):
    """The server's WebSocket protocol, offering :data:`SEND_FRAMES` to the app."""

    frame_sink: FrameSink | None = None

    def set_frame_sink(self, sink: FrameSink | None) -> None:
        """Hand binary messages to ``sink`` (None: back to the app's ``receive`` queue)."""
        self.frame_sink = sink

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        sink = self.frame_sink
        if sink is not None:
            sink.received_all()

    def handle_bytes(self, event: Frame) -> None:
        sink = self.frame_sink
        if (sink is None or not event.fin or self.close_sent or not self.queue.empty()
                or not sink.ready()):
            super().handle_bytes(event)
            return
        sink.receive(bytes(event.data))

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_FRAMES] = self

    def ready(self) -> bool:
        """True when the transport is not paused (its buffer is below the high-water mark)."""
        return self.writable.is_set()

    async def wait_ready(self) -> None:
        """Return once the transport is not paused, or the connection is lost."""
        await self.writable.wait()

    def has_unread(self) -> bool:
        """True when received messages wait in the app's receive queue."""
        return not self.queue.empty()

    def write_frames(self, frames: Sequence[bytes | str]) -> None:
        """Frame each of ``frames`` and write them all with one ``transport.write``.

        Only after the handshake and before a close, like ASGI's ``websocket.send``; raises
        :class:`ClientDisconnected` (an ``OSError``) once the peer has gone."""
        if self.disconnected:
            raise ClientDisconnected()
        if not self.handshake_complete or self.close_sent or self.initial_response is not None:
            raise RuntimeError("frames can only be sent on an accepted, open WebSocket")
        try:
            for frame in frames:
                if isinstance(frame, str):
                    self.conn.send_text(frame.encode())
                else:
                    self.conn.send_binary(frame)
        except InvalidState:
            raise ClientDisconnected() from None
        self.transport.write(b"".join(self.conn.data_to_send()))


def frame_writer(websocket: WebSocket) -> BatchedSendProtocol:
    """The protocol of ``websocket``'s connection, as its :data:`SEND_FRAMES` (``MeetingServer``
    always serves ``/ws`` with :class:`BatchedSendProtocol`)."""
    sender = (websocket.scope.get("extensions") or {}).get(SEND_FRAMES)
    if not isinstance(sender, BatchedSendProtocol):
        raise TypeError(f"/ws needs a WebSocket protocol offering {SEND_FRAMES} (BatchedSendProtocol)")
    return sender
