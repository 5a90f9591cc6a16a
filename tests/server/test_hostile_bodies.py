"""Hostile JSON bodies on every endpoint that takes one: too deep, malformed, not UTF-8, too
large. Each gets a 4xx in RealtimeKit's error envelope (400, or 413 for size), never a 5xx,
nothing is logged as a server error, and the server keeps serving a normal join and send."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httpx
import pytest
from protocol_client import ProtoClient
from starlette.routing import Route

from rtk_widget.server import MeetingServer
from rtk_widget.server.app import asgi_app
from rtk_widget.server.rest.bodies import MAX_JSON_BODY

# Endpoints that take a body but have nothing to read from it.
IGNORES_BODY = {"/token", "/active-session/kick-all"}
NOT_JSON = {"/files/{file_id}", "/{path:path}"}  # raw upload bytes; the SDK's ignored calls

HOSTILE: dict[str, tuple[bytes, int]] = {
    "deep-arrays": (b"[" * 30_000 + b"]" * 30_000, 400),
    "deep-objects": (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, 400),
    "deep-unclosed": (b"[" * 60_000, 400),
    "deep-in-a-field": (b'{"name": ' + b"[" * 2_000 + b"]" * 2_000 + b"}", 400),
    "malformed": (b'{"name": "x",', 400),
    "not-utf8": (b'{"name": "\xff\xfe"}', 400),
    "nan": (b'{"name": NaN}', 400),
    "huge-number": (b'{"expiry": ' + b"9" * 5_000 + b"}", 400),
    "too-large": (b'{"name": "' + b"x" * MAX_JSON_BODY + b'"}', 413),
}


def body_routes(server: MeetingServer) -> list[tuple[str, str]]:
    """(method, path template) of every route that may read a JSON body."""
    found = []
    for route in asgi_app(server.parts).app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or route.path in NOT_JSON:
            continue
        for method in sorted((route.methods or set()) & {"POST", "PUT", "PATCH"}):
            found.append((method, route.path))
    assert len(found) >= 12, found  # the management API, webhooks and the SDK's upload
    return found


@pytest.fixture
async def targets(server, make_meeting, api) -> list[tuple[str, str, bool]]:
    """(method, concrete URL, reads a body) for every body-taking route, with real ids."""
    meeting, (ada,) = await make_meeting("ada")
    hook = await api.post(
        "/webhooks", json={"name": "h", "url": "http://127.0.0.1:9/", "events": ["recording.statusUpdate"]}
    )
    preset = (await api.get("/presets")).json()["data"][0]
    ids = {
        "account_id": server.config.account_id,
        "app_id": server.config.app_id,
        "meeting_id": meeting["id"],
        "participant_id": ada["id"],
        "preset_id": preset["id"],
        "webhook_id": hook.json()["data"]["id"],
    }
    found = []
    for method, template in body_routes(server):
        url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids[m.group(1)], template)
        found.append((method, server.base_url + url, not template.endswith(tuple(IGNORES_BODY))))
    return found


def envelope(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False, body
    assert body["error"]["code"] == response.status_code
    assert isinstance(body["error"]["message"], str)
    return dict(body["error"])


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_every_json_endpoint_refuses_hostile_bodies_with_the_envelope(
    server, make_meeting, targets, kind, caplog
):
    raw, status = HOSTILE[kind]
    meeting, (bob,) = await make_meeting("bob")
    caplog.set_level(logging.ERROR)
    for method, url, reads_body in targets:
        token = server.api_token if url.startswith(server.management_url) else bob["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient() as http:
            response = await http.request(method, url, content=raw, headers=headers)
        assert response.status_code < 500, (method, url, response.text)
        if reads_body:
            assert response.status_code == status, (method, url, response.text)
            envelope(response)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    client = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await client.join()
    assert (await client.send_text("still served")).payload == "still served"
    await client.close()


async def test_a_declared_oversize_body_is_refused_before_it_is_read(server, api):
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    path = server.management_url.removeprefix(server.base_url) + "/meetings"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {server.api_token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10 * MAX_JSON_BODY}\r\n\r\n".encode()
    )
    await writer.drain()  # the body is never sent: the answer must not wait for it
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 413 ")
    writer.close()
