"""A reconnect storm: participants send through a fault proxy that cuts every connection 50 to
500 ms after it opens, with the client's default backoff, until each has lived through a given
number of drops; then every client must hold exactly the server's history.

Shared by the suite's short form (tests/reliability/test_soak.py) and the long one (bench/soak.py).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field

from rtk_widget.client import (
    Backoff,
    ConnectionInfo,
    ConnectionLostError,
    ConnectionState,
    Meeting,
    RequestTimeoutError,
)
from rtk_widget.server import MeetingServer
from tests.client.helpers import client_history, server_history, through, wait_until_async
from tests.client.proxy import FaultProxy
from tests.conftest import create_meeting

CUT_AFTER = (0.05, 0.5)
"""Each proxied connection lives this long (seconds, uniform), then the proxy cuts it."""
NAMES = ("ada", "bob", "cara", "dan", "eve", "fay", "gus", "hal")


class DropCounter:
    """Counts the sessions of one client that were connected and then dropped."""

    def __init__(self, meeting: Meeting) -> None:
        self.drops = 0
        self._last = meeting.connection_state
        self._lock = threading.Lock()
        meeting.on("socketConnectionUpdate", self._update)

    def _update(self, info: ConnectionInfo) -> None:
        with self._lock:
            if self._last is ConnectionState.CONNECTED and info.state is ConnectionState.RECONNECTING:
                self.drops += 1
            self._last = info.state


@dataclass
class StormReport:
    """What one storm did."""

    drops: list[int]
    """Connected sessions dropped, per client."""
    acked: int
    """Sends the server acknowledged."""
    stored: int
    """Messages the server holds."""
    storm_seconds: float
    converge_seconds: float
    unacknowledged: list[str] = field(default_factory=list)
    """Sends that timed out while their client was still reconnecting (stored once or not at all)."""


async def run_storm(server: MeetingServer, *, participants: int, drops: int, in_flight: int = 2,
                    seed: int = 20261130) -> StormReport:
    """Storm one new meeting on ``server`` until every client saw ``drops`` drops; check convergence.

    Raises ``AssertionError`` when a client gave up, a client's messages differ from the
    server's history, a message is stored twice, or an acknowledged one is missing.
    """
    meeting, people = await create_meeting(server, *NAMES[:participants], title="reconnect storm")
    proxy = FaultProxy(server.port)
    await proxy.start()
    clients = [through(proxy, person["token"], backoff=Backoff()) for person in people]
    try:
        for client in clients:
            await client.join_async()  # before the storm: a first join fails fast by design
        counters = [DropCounter(client) for client in clients]
        rng = random.Random(seed)
        proxy.lifetime = lambda: rng.uniform(*CUT_AFTER)
        proxy.cut_all()
        acked: list[tuple[str, str]] = []
        unacknowledged: list[str] = []
        gave_up: list[str] = []

        async def sender(client: Meeting, counter: DropCounter, label: str) -> None:
            sent = 0
            while counter.drops < drops:
                text = f"{label} {sent}"
                sent += 1
                try:
                    message = await client.chat.send_text_message_async(text)
                except (ConnectionLostError, RequestTimeoutError) as exc:
                    if client.connection_state is ConnectionState.FAILED:
                        gave_up.append(f"{label}: {exc}")
                        return
                    unacknowledged.append(text)  # an outage outlasted the send's 20 s: not acknowledged
                    continue
                acked.append((message.id, text))

        started = time.monotonic()
        await asyncio.gather(*(sender(client, counter, f"{person['name']}-{lane}")
                               for client, counter, person in zip(clients, counters, people, strict=True)
                               for lane in range(in_flight)))
        proxy.lifetime = None
        storm_seconds = time.monotonic() - started

        expected = await server_history(server, meeting["id"], people[0]["id"])
        stored_texts = [text for _, text in expected]
        assert not gave_up, gave_up[:5]
        assert len(set(stored_texts)) == len(stored_texts), "a message was stored twice"
        assert set(acked) <= set(expected), "an acknowledged message is missing from the server"
        assert set(stored_texts) <= {text for _, text in acked} | set(unacknowledged), "stored, never sent"
        settled = time.monotonic()
        for client in clients:
            await wait_until_async(client.chat, "chatUpdate",
                                   lambda c=client: client_history(c) == expected, within=60)
        converge_seconds = time.monotonic() - settled
        for client in clients:
            assert client_history(client) == expected
            assert client.connection_state is not ConnectionState.FAILED
        return StormReport([c.drops for c in counters], len(acked), len(expected), storm_seconds,
                           converge_seconds, unacknowledged)
    finally:
        for client in clients:
            await client.leave_async()
        await proxy.stop()
