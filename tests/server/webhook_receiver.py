"""A real loopback HTTP receiver for webhook tests: records every POST (headers and raw
body) and answers with scripted statuses; tests await deliveries instead of sleeping."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """``statuses`` are answered in order, then 200 for ever."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.release: asyncio.Event | None = None  # if set: answers wait until it is set
        self.received: list[Received] = []
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            headers = {}
            for line in lines:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(request_line.split(" ")[1], headers, body))
            if self.release is not None:
                self._changed.set()
                await self.release.wait()
            status = self.statuses.pop(0) if self.statuses else 200
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()
            self._changed.set()

    async def wait_count(self, count: int, within: float = 10.0) -> None:
        """Until ``count`` requests (of any kind) have arrived."""

        async def wait() -> None:
            while len(self.received) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), within)

    def events(self, name: str) -> list[Received]:
        return [r for r in self.received if r.json().get("event") == name]

    async def wait_for(self, name: str, count: int = 1, within: float = 10.0) -> list[Received]:
        """The first ``count`` deliveries of event ``name``, once that many have arrived."""

        async def wait() -> list[Received]:
            while len(self.events(name)) < count:
                self._changed.clear()
                await self._changed.wait()
            return self.events(name)[:count]

        return await asyncio.wait_for(wait(), within)
