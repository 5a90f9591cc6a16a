"""Fixtures shared by the server tests."""

import httpx
import pytest


@pytest.fixture
async def api(server):
    """An httpx client on the management API, authorized with the server's API token."""
    async with httpx.AsyncClient(
        base_url=server.management_url, headers={"Authorization": f"Bearer {server.api_token}"}
    ) as http:
        yield http
