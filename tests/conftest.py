"""Shared fixtures: a started in-memory meeting server, and meetings with participants.

async def test_something(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")     # participant dicts with "token"
    server.base_url                                           # http://127.0.0.1:<port>
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from rtk_widget.server import MeetingServer, ServerConfig

# tests/protocol_client.py (the socket test client) is importable from every test directory.
sys.path.append(str(Path(__file__).parent))

MakeMeeting = Callable[..., Awaitable[tuple[dict[str, Any], list[dict[str, Any]]]]]


@pytest.fixture
def server_config() -> ServerConfig:
    """Override in a test module to change limits; the port is always picked by the OS."""
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None)


@pytest.fixture
async def server(server_config: ServerConfig) -> AsyncIterator[MeetingServer]:
    srv = MeetingServer(server_config)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


async def create_meeting(
    server: MeetingServer,
    *names: str,
    preset_name: str = "group_call_host",
    title: str = "Test meeting",
    presets: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A meeting and one participant per name (custom id = name); ``presets`` maps name -> preset."""
    meeting = await server.admin.create_meeting(title=title)
    people = []
    for name in names:
        preset = (presets or {}).get(name, preset_name)
        people.append(
            await server.admin.add_participant(
                meeting["id"], name=name.title(), preset_name=preset, custom_participant_id=name
            )
        )
    return meeting, people


@pytest.fixture
def make_meeting(server: MeetingServer) -> MakeMeeting:
    async def make(*names: str, **kwargs: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return await create_meeting(server, *names, **kwargs)

    return make
