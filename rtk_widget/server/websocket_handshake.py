"""uvicorn's ``websockets`` (sans-I/O) WebSocket protocol, answering handshakes it cannot parse.

uvicorn's h11 protocol decides an upgrade from the headers alone and replays the whole head
to this protocol, whose parser (``websockets``) is stricter: it wants ``GET`` and HTTP/1.1,
no body, at most 128 fields of at most 8 KiB. When that parse fails, ``websockets`` queues a
refusal (or only an end of stream) and produces no event, and uvicorn, which writes only in
answer to events, never sends it: the connection stayed open, unanswered, outside the
request-head deadline (the transport no longer belongs to the HTTP protocol) and outside the
socket handler's per-address cap (the app never sees it). At shutdown uvicorn then tried a 500
on it, which ``websockets`` refused with ``AssertionError`` (its end of stream was already
queued), so ``MeetingServer.stop()`` failed.

This subclass sends what ``websockets`` queued (its 414 or 431), or a 400 when that was only the
end of stream, and closes the connection; at shutdown such a connection is just closed. The
``wsproto`` implementation would need a second HTTP parser as a new dependency; the sans-I/O
``websockets`` one stays, as the fastest at fan-out, with these two holes closed.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

_BAD_REQUEST = b"Failed to open a WebSocket connection: not a valid WebSocket handshake.\n"


class HandshakeGuardedProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol that answers and closes a failed handshake parse."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            self._refuse()

    def shutdown(self) -> None:
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            self.transport.close()  # refused already; a 500 now would fail in websockets
            return
        super().shutdown()

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        queued = b"".join(self.conn.data_to_send())  # websockets' own refusal, if it wrote one
        if not queued:
            queued = (
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_BAD_REQUEST), _BAD_REQUEST)
            )
        self.close_sent = True
        self.transport.write(queued)
        self.transport.close()
