"""A deadline for the HTTP request head, which uvicorn does not have.

uvicorn's ``timeout_keep_alive`` only runs between requests, and any byte received cancels
it, so a client that opens a connection and then sends nothing, or one byte now and then
(slowloris), holds a socket and its buffers for ever. This protocol arms a timer whenever
the connection waits for a request (on connect, and when data starts arriving after a
finished response) and closes the transport if no request head has arrived when it fires.
A WebSocket upgrade hands the transport to another protocol, which disarms it.
"""

from __future__ import annotations

import asyncio
from typing import Any


def request_deadline_protocol(seconds: float, base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base``, with the request head due ``seconds`` after it is awaited.

    ``base`` is one of uvicorn's protocols: a plain asyncio.Protocol with a ``cycle`` (the
    current request) and a ``transport``, as h11's and httptools' both have.
    """
    _Base: Any = base

    class RequestDeadlineProtocol(_Base):  # type: ignore[misc]
        _deadline: asyncio.TimerHandle | None = None
        _awaited_after: object = None  # the request cycle that was current when the timer was armed

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            stale = self._deadline is None or self._awaited_after is not self.cycle
            if stale and self._waiting_for_request():
                self._disarm()  # armed for an earlier request: the next head gets its own time
                self._arm()
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _waiting_for_request(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self) -> None:
            self._awaited_after = self.cycle
            self._deadline = asyncio.get_running_loop().call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            transport: asyncio.Transport = self.transport
            if transport.is_closing() or transport.get_protocol() is not self:
                return  # closed, or upgraded to a WebSocket
            if self.cycle is not self._awaited_after:
                return  # a request arrived in time
            transport.close()

    return RequestDeadlineProtocol
