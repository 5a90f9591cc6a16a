"""Webhook delivery to a real loopback receiver: RealtimeKit's payloads and headers, the
signature verified as a receiver would, opt-in events, retries, and chat never waiting."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import socket
import uuid

import httpx
import pytest
from conftest import create_meeting
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from protocol_client import ProtoClient

from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.wire.events import Event
from tests.server.webhook_receiver import Received, WebhookReceiver

ALL = [
    "meeting.started",
    "meeting.ended",
    "meeting.participantJoined",
    "meeting.participantLeft",
    "meeting.chatSynced",
]
ATTEMPTS = 3


@pytest.fixture
def server_config() -> ServerConfig:
    # keep-alive 0: sessions end with the last leave (test_session_keep_alive covers the wait)
    return ServerConfig(session_keep_alive_s=0, webhook_backoff_s=0.01, webhook_attempts=ATTEMPTS)


async def register(server: MeetingServer, url: str, events: list[str], **extra: object) -> dict:
    async with httpx.AsyncClient(
        base_url=server.management_url, headers={"Authorization": f"Bearer {server.api_token}"}
    ) as http:
        r = await http.post("/webhooks", json={"name": "test", "url": url, "events": events, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


async def verify(server: MeetingServer, delivery: Received) -> None:
    """What a receiver does: fetch the public key, verify rtk-signature over the raw body."""
    async with httpx.AsyncClient() as http:
        pem = (await http.get(f"{server.base_url}/.well-known/webhooks.json")).json()["data"]["publicKey"]
    key = load_pem_public_key(pem.encode())
    signature = base64.b64decode(delivery.headers["rtk-signature"])
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, delivery.body, padding.PKCS1v15(), hashes.SHA256())
    tampered = delivery.body.replace(b"meeting", b"Meeting", 1)
    with pytest.raises(InvalidSignature):  # the check is real: one changed byte fails it
        key.verify(signature, tampered, padding.PKCS1v15(), hashes.SHA256())


async def test_session_events_reach_the_receiver_signed(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob", title="Notebook chat")
    async with WebhookReceiver() as receiver:
        hook = await register(server, receiver.url, ALL)
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
        await a.join()
        await b.join()
        await a.send_text("in the replay")
        await b.request(Event.LEAVE_ROOM)
        await a.request(Event.LEAVE_ROOM)
        (started,) = await receiver.wait_for("meeting.started")
        joined = await receiver.wait_for("meeting.participantJoined", 2)
        left = await receiver.wait_for("meeting.participantLeft", 2)
        (ended,) = await receiver.wait_for("meeting.ended")
        (synced,) = await receiver.wait_for("meeting.chatSynced")
        await server.parts.webhooks.settled()
        assert len(receiver.received) == 7  # each event once

        ids = set()
        for delivery in receiver.received:
            await verify(server, delivery)
            assert delivery.path == "/hook"
            assert delivery.headers["rtk-webhook-id"] == hook["id"]
            assert delivery.headers["content-type"] == "application/json"
            ids.add(str(uuid.UUID(delivery.headers["rtk-uuid"])))
        assert len(ids) == 7

        session = started.json()["meeting"]
        assert session["id"] == meeting["id"]
        assert session["title"] == "Notebook chat"
        assert session["status"] == "LIVE"
        assert session["organizedBy"] == {"id": server.config.app_id, "name": server.config.app_id}
        assert session["startedAt"].endswith("Z")
        session_id = session["sessionId"]
        people = {d.json()["participant"]["customParticipantId"]: d.json()["participant"] for d in joined}
        assert set(people) == {"ada", "bob"}
        assert people["ada"]["peerId"] == a.peer_id
        assert people["ada"]["userDisplayName"] == "Ada"
        assert "leftAt" not in people["ada"]
        gone = {d.json()["participant"]["peerId"]: d.json()["participant"] for d in left}
        assert set(gone) == {a.peer_id, b.peer_id}
        assert all(p["leftAt"] >= p["joinedAt"] for p in gone.values())
        assert {d.json()["meeting"]["sessionId"] for d in [*joined, *left]} == {session_id}

        end = ended.json()
        assert end["reason"] == "ALL_PARTICIPANTS_LEFT"
        assert end["meeting"]["status"] == "ENDED"
        assert end["meeting"]["sessionId"] == session_id
        assert end["meeting"]["endedAt"] >= end["meeting"]["startedAt"]

        flat = synced.json()
        assert "meeting" not in flat
        assert flat["sessionId"] == session_id
        assert flat["meetingId"] == meeting["id"]
        assert flat["title"] == "Notebook chat"
        assert flat["chatDownloadUrlExpiry"].endswith("Z")
        async with httpx.AsyncClient() as http:  # a presigned URL: no auth header
            dump = await http.get(flat["chatDownloadUrl"])
        assert dump.status_code == 200
        rows = list(csv.DictReader(io.StringIO(dump.text)))
        assert [(r["sessionId"], r["payload"]) for r in rows] == [(session_id, "in the replay")]
        for c in (a, b):
            await c.close()


async def test_only_opted_in_enabled_webhooks_are_called(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    async with WebhookReceiver() as wanted, WebhookReceiver() as disabled:
        await register(server, wanted.url, ["meeting.ended"])
        await register(server, disabled.url, ALL, enabled=False)
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        await a.join()
        await a.request(Event.LEAVE_ROOM)
        await wanted.wait_for("meeting.ended")
        await server.parts.webhooks.settled()
        assert [d.json()["event"] for d in wanted.received] == ["meeting.ended"]
        assert disabled.received == []
        await a.close()


async def started_once(server, make_meeting, url: str) -> None:
    meeting, (ada,) = await make_meeting("ada")
    await register(server, url, ["meeting.started"])
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await a.join()
    await server.parts.webhooks.settled()
    await a.close()


async def test_server_errors_are_retried_with_the_same_delivery(server, make_meeting):
    async with WebhookReceiver(statuses=[503, 500]) as receiver:
        await started_once(server, make_meeting, receiver.url)
        assert len(receiver.received) == 3
        assert len({d.headers["rtk-uuid"] for d in receiver.received}) == 1
        assert len({d.body for d in receiver.received}) == 1
        result = server.parts.webhooks.results[-1]
        assert (result.attempts, result.status, result.ok) == (3, 200, True)


async def test_client_errors_are_not_retried(server, make_meeting):
    async with WebhookReceiver(statuses=[410]) as receiver:
        await started_once(server, make_meeting, receiver.url)
        assert len(receiver.received) == 1
        result = server.parts.webhooks.results[-1]
        assert (result.attempts, result.status, result.ok) == (1, 410, False)


async def test_network_errors_are_retried_a_bounded_number_of_times(server, make_meeting):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await started_once(server, make_meeting, f"http://127.0.0.1:{port}/nobody")
    result = server.parts.webhooks.results[-1]
    assert (result.attempts, result.status, result.ok) == (ATTEMPTS, None, False)


async def test_a_stuck_receiver_never_holds_up_chat(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    async with WebhookReceiver() as receiver:
        receiver.release = release = asyncio.Event()
        await register(server, receiver.url, ALL)
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
        await a.join()
        await receiver.wait_count(1)  # a delivery is hanging now
        await b.join()
        for i in range(20):
            assert (await a.send_text(f"m{i}")).payload == f"m{i}"
        await b.expect(lambda f: f.event == Event.SEND_MESSAGE_TO_ROOM and f.id is None)
        release.set()
        await receiver.wait_for("meeting.participantJoined", 2)
        for c in (a, b):
            await c.close()


async def test_the_queue_is_bounded_and_overflow_is_dropped_not_waited_for():
    config = ServerConfig(session_keep_alive_s=0, webhook_queue_events=1, webhook_concurrency=1)
    async with MeetingServer(config) as server:
        dispatcher = server.parts.webhooks
        meeting, (ada, bob) = await create_meeting(server, "ada", "bob")
        async with WebhookReceiver() as receiver:
            receiver.release = release = asyncio.Event()
            await register(server, receiver.url, ["meeting.started", "meeting.participantJoined"])
            a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
            b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
            await a.join()  # started + joined, queued back to back into a queue of one
            await receiver.wait_count(1)
            await b.join()
            assert (await a.send_text("unaffected")).payload == "unaffected"
            assert dispatcher.dropped >= 1
            release.set()
            await dispatcher.settled()
            assert len(receiver.received) + dispatcher.dropped == 3  # started, ada joined, bob joined
            for c in (a, b):
                await c.close()
