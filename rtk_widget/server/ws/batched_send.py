"""Several outbound frames of one socket written to the transport at once.

ASGI sends one WebSocket message per ``send`` call: through Starlette's wrappers, uvicorn's
checks and one ``transport.write`` (one system call) each. A group commit hands every peer
several frames at once, so the protocol the server runs offers the app a scope extension,
``SEND_FRAMES``: an awaitable taking a list of frames that frames each one (still one
WebSocket message per frame) and writes them with a single ``transport.write``, after the
same write back-pressure wait uvicorn's own ``send`` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.websockets import WebSocket
from uvicorn.protocols.utils import ClientDisconnected
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from rtk_widget.server.websocket_handshake import HandshakeGuardedProtocol

SEND_FRAMES = "rtk_widget.websocket.send_frames"
"""Scope extension: ``await send_frames([frame, ...])``, each frame ``bytes`` (binary) or ``str``."""

FrameSender = Callable[[Sequence[bytes | str]], Awaitable[None]]


class BatchedSendProtocol(HandshakeGuardedProtocol):
    """The server's WebSocket protocol, offering :data:`SEND_FRAMES` to the app."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_FRAMES] = self.send_frames

    async def send_frames(self, frames: Sequence[bytes | str]) -> None:
        """Frame each of ``frames`` and write them all with one ``transport.write``.

        Only after the handshake and before a close, like ASGI's ``websocket.send``; raises
        :class:`ClientDisconnected` (an ``OSError``) once the peer has gone."""
        await self.writable.wait()
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


def frame_sender(websocket: WebSocket) -> FrameSender:
    """The :data:`SEND_FRAMES` of ``websocket``'s connection (``MeetingServer`` always serves
    ``/ws`` with :class:`BatchedSendProtocol`)."""
    sender: FrameSender | None = (websocket.scope.get("extensions") or {}).get(SEND_FRAMES)
    if sender is None:
        raise RuntimeError(f"/ws needs a WebSocket protocol offering {SEND_FRAMES} (BatchedSendProtocol)")
    return sender
