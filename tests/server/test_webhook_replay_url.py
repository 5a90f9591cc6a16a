"""A ``meeting.chatSynced`` delivery carries a Chat Replay URL signed at each attempt: a retry
after the first URL expired, and a restart on another port, both send a URL that downloads,
under the same ``rtk-uuid``; a row queued by schema 2 (URL baked in) gets a fresh one too."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from conftest import create_meeting
from protocol_client import ProtoClient

from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.wire.events import Event
from tests.server.test_webhook_delivery import register, verify
from tests.server.webhook_receiver import WebhookReceiver

SYNCED = "meeting.chatSynced"


async def chat_then_leave(server: MeetingServer, text: str) -> None:
    """One participant says ``text`` and leaves: with keep-alive 0 the session ends, queuing chatSynced."""
    meeting, (ada,) = await create_meeting(server, "ada")
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await client.join()
    await client.send_text(text)
    await client.request(Event.LEAVE_ROOM)
    await client.close()


async def replay_rows(url: str) -> list[str]:
    async with httpx.AsyncClient() as http:
        dump = await http.get(url)
    assert dump.status_code == 200, dump.text
    return [row["payload"] for row in csv.DictReader(io.StringIO(dump.text))]


def expiry(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["exp"][0])


async def test_a_retry_after_the_url_expired_carries_a_fresh_one(tmp_path: Path):
    # Real time, shortened through the config: a URL lives 2 s (whole seconds, so at least 1 s
    # after signing), and the one retry comes 2.5 s after the refusal, past the first URL's end.
    config = ServerConfig(
        data_dir=tmp_path,
        session_keep_alive_s=0,
        replay_url_ttl_s=2,
        webhook_backoff_s=2.5,
        webhook_attempts=2,
    )
    async with WebhookReceiver(statuses=[503]) as receiver, MeetingServer(config) as server:
        await register(server, receiver.url, [SYNCED])
        await chat_then_leave(server, "still downloadable")
        refused, retried = await receiver.wait_for(SYNCED, 2)
        fresh = retried.json()["chatDownloadUrl"]
        assert await replay_rows(fresh) == ["still downloadable"]
        await verify(server, retried)  # signed over the body as sent, fresh URL included

        stale = refused.json()["chatDownloadUrl"]
        async with httpx.AsyncClient() as http:
            assert (await http.get(stale)).status_code == 403  # the first URL is dead by now
        assert expiry(fresh) > expiry(stale)
        assert retried.json()["chatDownloadUrlExpiry"] > refused.json()["chatDownloadUrlExpiry"]
        assert retried.headers["rtk-uuid"] == refused.headers["rtk-uuid"]
        rest = {k: v for k, v in retried.json().items() if not k.startswith("chatDownloadUrl")}
        assert rest == {k: v for k, v in refused.json().items() if not k.startswith("chatDownloadUrl")}


async def queue_undelivered_chat_synced(data: Path, receiver: WebhookReceiver) -> int:
    """Run a server on ``data`` whose chatSynced attempt is still unanswered when it stops, so
    the delivery stays queued; returns the port it listened on."""
    receiver.release = asyncio.Event()  # the receiver holds its answer
    config = ServerConfig(data_dir=data, session_keep_alive_s=0)
    async with MeetingServer(config) as server:
        await register(server, receiver.url, [SYNCED])
        await chat_then_leave(server, "across the restart")
        await receiver.wait_for(SYNCED)
        port = server.port
    assert port is not None
    with sqlite3.connect(data / "rtk.sqlite3") as db:
        assert db.execute("SELECT event FROM webhook_deliveries").fetchall() == [(SYNCED,)]
    return port


async def deliver_after_restart(data: Path, receiver: WebhookReceiver, old_port: int) -> None:
    """Restart on ``data`` (a new port) and check the queued chatSynced goes out pointing there."""
    assert receiver.release is not None
    receiver.release.set()
    receiver.release = None
    async with MeetingServer(ServerConfig(data_dir=data)) as server:
        assert server.port != old_port
        first, again = await receiver.wait_for(SYNCED, 2)
        assert again.headers["rtk-uuid"] == first.headers["rtk-uuid"]
        fresh = again.json()["chatDownloadUrl"]
        assert urlsplit(fresh).port == server.port
        assert await replay_rows(fresh) == ["across the restart"]
        await verify(server, again)
        await server.parts.webhooks.settled()


async def test_a_restart_on_another_port_sends_a_url_on_the_new_port(tmp_path: Path):
    async with WebhookReceiver() as receiver:
        old_port = await queue_undelivered_chat_synced(tmp_path, receiver)
        assert urlsplit(receiver.received[0].json()["chatDownloadUrl"]).port == old_port
        await deliver_after_restart(tmp_path, receiver, old_port)


async def test_a_chat_synced_row_queued_by_schema_2_is_sent_with_a_fresh_url(tmp_path: Path):
    async with WebhookReceiver() as receiver:
        old_port = await queue_undelivered_chat_synced(tmp_path, receiver)
        sent = receiver.received[0].json()
        with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:  # as schema 2 queued it: URL included
            db.execute("UPDATE webhook_deliveries SET body = ?", (json.dumps(sent).encode(),))
            db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        await deliver_after_restart(tmp_path, receiver, old_port)
