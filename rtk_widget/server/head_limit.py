"""A size limit on the HTTP request head, refused with 431 before anything else reads it.

uvicorn's h11 protocol lets h11 buffer up to 16 KiB of an unfinished head, and takes a
finished head of any size that arrives in one read. A WebSocket upgrade is then replayed to
the WebSocket protocol, whose handshake parser (``websockets``) allows 8 KiB a line and 128
fields: a head between those limits passed h11 and then failed the handshake parser, which
left the connection unanswered (see ``websocket_handshake``). One limit on the whole head,
applied first, keeps every head that reaches either parser within both.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Where h11 ends a head: a blank line, with or without its CR.
_END_OF_HEAD = re.compile(rb"\n\r?\n")
_REFUSAL = "request head too large"


class _HeadLimitedConnection(h11.Connection):
    """h11's server side that refuses a request head longer than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(h11.SERVER)
        self.head_limit = limit
        self.head_too_large = False

    def next_event(self) -> Any:
        if self.their_state is h11.IDLE and self._head_length() > self.head_limit:
            self.head_too_large = True
            raise h11.RemoteProtocolError(_REFUSAL, error_status_hint=431)
        return super().next_event()

    def _head_length(self) -> int:
        """The buffered head's length (so far, if unfinished), looking no further than needed."""
        buffered = self.trailing_data[0]
        end = _END_OF_HEAD.search(buffered, 0, self.head_limit + 3)
        return len(buffered) if end is None else end.end()


def head_limited_protocol(limit: int) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, answering a request head over ``limit`` bytes with 431 and a close."""

    class HeadLimitedProtocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.conn = _HeadLimitedConnection(limit)

        def send_400_response(self, msg: str) -> None:
            assert isinstance(self.conn, _HeadLimitedConnection)
            if not self.conn.head_too_large:
                super().send_400_response(msg)
                return
            body = f"{_REFUSAL} (at most {limit} bytes)".encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            self.transport.close()

    return HeadLimitedProtocol
