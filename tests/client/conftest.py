"""Client fixtures: participants of one meeting on the embedded server (``Meeting.local``), a fault proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from rtk_widget.client import Meeting
from rtk_widget.server import MeetingServer

from .helpers import FAST
from .proxy import FaultProxy


@pytest.fixture
def trio() -> Iterator[tuple[Meeting, Meeting, Meeting]]:
    """Ada (host, created the meeting), Bob (host) and Cara (participant), all joined."""
    ada = Meeting.local(display_name="Ada", backoff=FAST)
    bob = Meeting.local(display_name="Bob", meeting=ada, preset_name="group_call_host", backoff=FAST)
    cara = Meeting.local(display_name="Cara", meeting=ada, backoff=FAST)
    try:
        yield ada, bob, cara
    finally:
        for meeting in (cara, bob, ada):
            meeting.leave()


@pytest.fixture
async def proxy(server: MeetingServer) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the test's ``server``."""
    proxy = FaultProxy(server.port)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def kernel() -> Iterator[Any]:
    """A client of a real Jupyter kernel (another process: another notebook's kernel)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
