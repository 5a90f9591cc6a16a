"""The official ``cloudflare`` SDK, unmodified, pointed at a real MeetingServer on 127.0.0.1.

async def test_x(rtk):                      # rtk.call(...) checks every answer strictly
    meeting = await rtk.call(rtk.kit.meetings.with_raw_response.create, rtk.app_id, title="T")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cloudflare import AsyncCloudflare, Cloudflare
from cloudflare._response import AsyncAPIResponse

from rtk_widget.client.local import local_server
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server import MeetingServer

from .strict import problems


@dataclass
class Kit:
    """The SDK's ``client.realtime_kit`` plus our account and app ids."""

    client: AsyncCloudflare
    account_id: str
    app_id: str

    @property
    def kit(self) -> Any:
        return self.client.realtime_kit

    async def call(
        self, method: Callable[..., Awaitable[AsyncAPIResponse[Any]]], *args: Any, **kw: Any
    ) -> Any:
        """Call a ``with_raw_response`` method (account id, and app id where it takes one, filled
        in), check the raw JSON strictly against the SDK's response type, return the parsed model."""
        kw.setdefault("account_id", self.account_id)
        raw = await method(*args, **kw)
        parsed = await raw.parse()
        found = problems(type(parsed), raw.http_response.json())
        assert not found, f"{type(parsed).__name__} does not conform:\n" + "\n".join(found)
        return parsed

    async def add_people(
        self, meeting_id: str, names: list[str], preset: str = "group_call_host"
    ) -> list[Any]:
        """One participant per name (custom id = name, display name = Name), as dicts with "token"."""
        return [
            (
                await self.call(
                    self.kit.meetings.with_raw_response.add_participant,
                    meeting_id,
                    app_id=self.app_id,
                    name=name.title(),
                    preset_name=preset,
                    custom_participant_id=name,
                )
            ).data.model_dump()
            for name in names
        ]


def sdk_client(server: MeetingServer, token: str | None = None) -> AsyncCloudflare:
    return AsyncCloudflare(
        api_token=token or server.api_token, base_url=f"{server.base_url}/client/v4", max_retries=0
    )


@pytest.fixture
async def rtk(server: MeetingServer) -> AsyncIterator[Kit]:
    client = sdk_client(server)
    try:
        yield Kit(client, server.config.account_id, server.config.app_id)
    finally:
        await client.close()


@pytest.fixture
def shared_server() -> MeetingServer:
    """The process's embedded server (the one ``Meeting.local`` uses, on the network thread)."""
    runtime = get_runtime()
    return runtime.run(local_server(runtime))


@pytest.fixture
def cf(shared_server: MeetingServer) -> Iterator[Cloudflare]:
    """The official SDK's synchronous client, pointed at the shared server."""
    client = Cloudflare(
        api_token=shared_server.api_token, base_url=f"{shared_server.base_url}/client/v4", max_retries=0
    )
    yield client
    client.close()
