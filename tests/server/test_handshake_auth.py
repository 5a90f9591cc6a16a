"""The socket handshake: tokens and Origin are checked before any room data."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import jwt
import pytest
import websockets
from protocol_client import ProtoClient, socket_url

from rtk_widget.server.auth import TokenIssuer, atob_safe
from rtk_widget.wire.events import Event


async def rejected(url: str, **kw) -> websockets.ConnectionClosed | websockets.InvalidStatus:
    """Connect and return how the server refused (a close after the upgrade, or an HTTP status)."""
    try:
        ws = await websockets.connect(url, open_timeout=5, **kw)
    except websockets.InvalidStatus as exc:
        return exc
    frames = []
    try:
        async with asyncio.timeout(10):  # an accepted socket would otherwise wait forever
            async for frame in ws:
                frames.append(frame)
    except websockets.ConnectionClosed as exc:
        assert frames == []  # no room data before the refusal
        return exc
    assert frames == []
    return websockets.ConnectionClosed(ws.close_rcvd, ws.close_sent)


def forge(claims: dict, key: str = "k" * 40, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


async def test_tokens_are_atob_safe_and_carry_the_sdk_claims(server, make_meeting):
    meeting, people = await make_meeting(*[f"p{i}" for i in range(30)])
    for p in people:
        assert atob_safe(p["token"])
        assert p["token"].startswith("eyJ")
        segment = p["token"].split(".")[1]
        claims = json.loads(base64.b64decode(segment + "=" * (-len(segment) % 4)))  # what atob() sees
        assert claims["meetingId"] == meeting["id"]
        assert claims["participantId"] == p["id"]
        assert claims["orgId"] == server.config.app_id
        assert claims["exp"] > claims["iat"]


async def test_bad_tokens_are_refused_with_a_reason(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    other, _ = await make_meeting()
    good = jwt.decode(ada["token"], options={"verify_signature": False})
    header, _payload, signature = ada["token"].split(".")
    tampered_claims = dict(good, participantId="someone-else")
    tampered = (
        header
        + "."
        + base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).decode().rstrip("=")
        + "."
        + signature
    )
    none_alg = jwt.encode(good, None, algorithm="none")
    issuer = TokenIssuer(server.parts.tokens._secret, "local", 60)
    expired = issuer.issue(meeting["id"], ada["id"], now=time.time() - 120)
    cases = {
        "missing": "",
        "garbage": "not-a-token",
        "tampered": tampered,
        "alg none": none_alg,
        "wrong key": forge(good),
        "expired": expired,
    }
    for name, token in cases.items():
        url = socket_url(server.base_url, token, meeting["id"], "peer-x")
        result = await rejected(url)
        assert isinstance(result, websockets.ConnectionClosed), name
        assert result.rcvd is not None, name
        assert result.rcvd.code == 4001, (name, result.rcvd)
        assert result.rcvd.reason, name
    # right token, other meeting's roomID
    result = await rejected(socket_url(server.base_url, ada["token"], other["id"], "peer-y"))
    assert result.rcvd.code == 4001
    assert "another meeting" in result.rcvd.reason


async def test_deleted_participant_and_inactive_meeting(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    bob_socket = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await bob_socket.join()
    await server.admin.delete_participant(meeting["id"], bob["id"])
    closed = await bob_socket.wait_closed()
    assert closed.rcvd.code == 4003  # a live socket of a removed participant is dropped
    result = await rejected(socket_url(server.base_url, bob["token"], meeting["id"], "p"))
    assert result.rcvd.code == 4003
    assert "removed" in result.rcvd.reason
    await server.admin.update_meeting(meeting["id"], {"status": "INACTIVE"})
    result = await rejected(socket_url(server.base_url, ada["token"], meeting["id"], "p"))
    assert result.rcvd.code == 4003
    assert "inactive" in result.rcvd.reason


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:8888", "https://app.rtk.localhost:8443", "http://127.0.0.1:5173", "http://[::1]:9000"],
)
async def test_local_origins_are_allowed(server, make_meeting, origin):
    meeting, (ada,) = await make_meeting("ada")
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"], origin=origin)
    await client.join()
    await client.close()


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://localhost.evil.example", "null", "file://", "http://127.0.0.1.nip.io"],
)
async def test_foreign_origins_are_refused_before_upgrade(server, make_meeting, origin):
    meeting, (ada,) = await make_meeting("ada")
    url = socket_url(server.base_url, ada["token"], meeting["id"], "p")
    result = await rejected(url, additional_headers={"Origin": origin})
    assert isinstance(result, websockets.InvalidStatus)
    assert result.response.status_code == 403


async def test_connections_per_participant_are_capped(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    observer = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await observer.join()
    cap = server.config.max_connections_per_participant
    clients = [await ProtoClient.connect(server.base_url, ada, meeting["id"]) for _ in range(cap)]
    await clients[0].join()
    await clients[-1].join()  # the last of them is fully registered
    result = await rejected(socket_url(server.base_url, ada["token"], meeting["id"], "one-too-many"))
    assert result.rcvd.code == 4029
    await clients[0].close()
    await observer.expect(lambda f: f.event == Event.LEAVE_ROOM)  # the server has let it go
    replacement = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await replacement.join()
    for c in [*clients, replacement, observer]:
        await c.close()


async def test_a_peer_id_cannot_be_taken_over_by_another_participant(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"], peer_id="shared-peer")
    await a.join()
    result = await rejected(socket_url(server.base_url, bob["token"], meeting["id"], "shared-peer"))
    assert result.rcvd.code == 4003
    assert (await a.send_text("still mine")).peer_id == "shared-peer"
    # the same participant reconnecting with its peer id takes its place (and its join)
    a2 = await ProtoClient.connect(server.base_url, ada, meeting["id"], peer_id="shared-peer")
    closed = await a.wait_closed()
    assert closed.rcvd.code == 4009
    assert (await a2.send_text("reconnected")).peer_id == "shared-peer"
    await a2.close()
