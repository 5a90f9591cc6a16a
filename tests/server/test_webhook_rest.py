"""Webhook registration REST (Cloudflare's paths, shapes and 400 errors), its persistence,
and the public signing key at /.well-known/webhooks.json."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from rtk_widget.server import MeetingServer, ServerConfig

EVENTS = ["meeting.started", "meeting.ended"]



async def test_crud(api):
    r = await api.post("/webhooks", json={"name": "nb", "url": "https://example.test/rtk", "events": EVENTS})
    assert r.status_code == 201
    hook = r.json()["data"]
    assert set(hook) == {"id", "name", "url", "events", "enabled", "created_at", "updated_at"}
    assert (hook["name"], hook["url"], hook["events"], hook["enabled"]) == (
        "nb",
        "https://example.test/rtk",
        EVENTS,
        True,
    )
    assert hook["created_at"].endswith("Z")
    other = (
        await api.post(
            "/webhooks",
            json={
                "name": "off",
                "url": "http://127.0.0.1:9/x",
                "events": ["meeting.chatSynced"],
                "enabled": False,
            },
        )
    ).json()["data"]
    listed = (await api.get("/webhooks")).json()
    assert listed["success"] is True
    assert [h["id"] for h in listed["data"]] == [hook["id"], other["id"]]
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["data"] == hook

    patched = (await api.patch(f"/webhooks/{hook['id']}", json={"enabled": False})).json()["data"]
    assert patched["enabled"] is False
    assert (patched["name"], patched["url"], patched["events"]) == (hook["name"], hook["url"], EVENTS)
    put = await api.put(
        f"/webhooks/{hook['id']}",
        json={"name": "renamed", "url": "http://127.0.0.1:1/y", "events": ["meeting.participantJoined"]},
    )
    assert put.status_code == 200
    replaced = put.json()["data"]
    assert (replaced["name"], replaced["events"], replaced["enabled"]) == (
        "renamed",
        ["meeting.participantJoined"],
        True,
    )  # PUT: omitted "enabled" is the default

    deleted = await api.delete(f"/webhooks/{hook['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["id"] == hook["id"]
    for method in ("GET", "PATCH", "DELETE"):
        r = await api.request(method, f"/webhooks/{hook['id']}", json={} if method == "PATCH" else None)
        assert r.status_code == 404
        missing = {"code": 404, "message": f"No webhook found with id {hook['id']}"}
        assert r.json() == {"success": False, "error": missing}
    assert [h["id"] for h in (await api.get("/webhooks")).json()["data"]] == [other["id"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "https://a.test", "events": EVENTS}, 'BAD_REQUEST: "name" is required'),
        ({"name": "x", "events": EVENTS}, 'BAD_REQUEST: "url" is required'),
        ({"name": "x", "url": "https://a.test"}, 'BAD_REQUEST: "events" is required'),
        ({"name": "x", "url": "ftp://a.test/x", "events": EVENTS}, '"url" must be a valid uri'),
        ({"name": "x", "url": "file:///etc/passwd", "events": EVENTS}, '"url" must be a valid uri'),
        ({"name": "x", "url": "http:///nohost", "events": EVENTS}, '"url" must be a valid uri'),
        ({"name": "x", "url": 5, "events": EVENTS}, '"url" must be a valid uri'),
        ({"name": "x", "url": "https://a.test", "events": []}, '"events" must be a non-empty array'),
        ({"name": "x", "url": "https://a.test", "events": ["chat.message"]}, "unknown event 'chat.message'"),
        ({"name": "", "url": "https://a.test", "events": EVENTS}, '"name" must be a non-empty string'),
        (
            {"name": "x", "url": "https://a.test", "events": EVENTS, "enabled": 1},
            '"enabled" must be a boolean',
        ),
    ],
)
async def test_invalid_registrations_are_refused_and_nothing_is_stored(api, body, message):
    r = await api.post("/webhooks", json=body)
    assert r.status_code == 400
    error = r.json()
    assert error["success"] is False
    assert error["error"]["code"] == 400
    assert message in error["error"]["message"]
    assert (await api.get("/webhooks")).json()["data"] == []


async def test_patch_validates_and_keeps_the_old_value(api):
    hook = (
        await api.post("/webhooks", json={"name": "a", "url": "https://a.test", "events": EVENTS})
    ).json()["data"]
    r = await api.patch(f"/webhooks/{hook['id']}", json={"url": "javascript:alert(1)"})
    assert r.status_code == 400
    assert (await api.get(f"/webhooks/{hook['id']}")).json()["data"]["url"] == "https://a.test"


async def test_webhooks_need_the_api_token(server):
    async with httpx.AsyncClient(base_url=server.management_url) as http:
        assert (await http.get("/webhooks")).status_code == 401
        r = await http.post("/webhooks", json={"name": "a", "url": "https://a.test", "events": EVENTS})
        assert r.status_code == 401


async def public_key(server: MeetingServer) -> str:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.get("/.well-known/webhooks.json")  # no auth: receivers fetch it
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True
    assert body["message"] == ""
    return str(body["data"]["publicKey"])


async def test_public_key_and_registrations_survive_a_restart(tmp_path):
    async with MeetingServer(ServerConfig(data_dir=tmp_path)) as first:
        pem = await public_key(first)
        key = load_pem_public_key(pem.encode())
        assert isinstance(key, rsa.RSAPublicKey)
        assert key.key_size >= 2048
        async with httpx.AsyncClient(
            base_url=first.management_url, headers={"Authorization": f"Bearer {first.api_token}"}
        ) as http:
            hook = (
                await http.post("/webhooks", json={"name": "a", "url": "https://a.test", "events": EVENTS})
            ).json()
        token = first.api_token
    assert (tmp_path / "webhook_key.pem").stat().st_mode & 0o077 == 0
    async with MeetingServer(ServerConfig(data_dir=tmp_path, api_token=token)) as second:
        assert await public_key(second) == pem
        async with httpx.AsyncClient(
            base_url=second.management_url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            assert (await http.get("/webhooks")).json()["data"] == [hook["data"]]
    async with MeetingServer(ServerConfig()) as in_memory:
        assert await public_key(in_memory) != pem
