"""Queued webhook deliveries live in the database: they survive ``kill -9`` and go out after the
restart with the same ``rtk-uuid`` (at least once), and the restart ends the session the crash
left live with its webhooks; a data dir from before the queue opens."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
from pathlib import Path

from conftest import create_meeting
from protocol_client import ProtoClient

from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.server.store.records import now_ms
from rtk_widget.server.store.schema import SCHEMA_VERSION
from tests.server.test_cli_durability import API_TOKEN, CLI, ServeProcess, management
from tests.server.test_webhook_delivery import register
from tests.server.webhook_receiver import WebhookReceiver

EVENTS = ["meeting.started", "meeting.participantJoined"]


def queued(data: Path) -> dict[str, tuple[str, bytes]]:
    """rtk-uuid -> (event, body) of every delivery waiting in the data dir's database."""
    with sqlite3.connect(data / "rtk.sqlite3") as db:
        rows = db.execute("SELECT id, event, body FROM webhook_deliveries").fetchall()
    return {row[0]: (row[1], bytes(row[2])) for row in rows}


async def test_queued_deliveries_survive_kill_9_and_go_out_after_the_restart(tmp_path: Path):
    data = tmp_path / "data"
    async with WebhookReceiver() as receiver, WebhookReceiver() as ends:
        receiver.release = asyncio.Event()  # the receiver holds every answer: nothing completes
        server = ServeProcess("--data-dir", str(data))
        url = await server.started()
        async with await management(url) as api:
            hook = await api.post("/webhooks", json={"name": "d", "url": receiver.url, "events": EVENTS})
            assert hook.status_code == 201
            hook = await api.post(
                "/webhooks", json={"name": "e", "url": ends.url, "events": ["meeting.ended"]}
            )
            assert hook.status_code == 201
        made = await asyncio.to_thread(  # a meeting and a participant, as a user makes them
            subprocess.run,
            [*CLI, "token", "--url", url, "--api-token", API_TOKEN, "--json"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        made_json = json.loads(made.stdout)
        ada, meeting = made_json["participant"], {"id": made_json["meeting_id"]}
        client = await ProtoClient.connect(url, ada, meeting["id"])
        await client.join()  # the session starts: two deliveries, queued with the join
        await receiver.wait_count(2)  # both are being attempted, and neither is answered
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
        await client.close()

        waiting = queued(data)
        assert sorted(event for event, _ in waiting.values()) == sorted(EVENTS)
        first_round = {r.headers["rtk-uuid"]: r.body for r in receiver.received}
        assert first_round == {delivery_id: body for delivery_id, (_, body) in waiting.items()}

        receiver.release.set()
        receiver.release = None  # from now on the receiver answers 200 at once
        again = ServeProcess("--data-dir", str(data))
        await again.started()
        await receiver.wait_count(4)  # the restart sent both again
        second_round = {r.headers["rtk-uuid"]: r.body for r in receiver.received[2:]}
        assert second_round == first_round  # same ids and bodies: receivers dedupe on rtk-uuid
        # The session the crash left live is ended by the restart, and told as such.
        (ended,) = await ends.wait_for("meeting.ended")
        started = next(r.json() for r in receiver.received if r.json()["event"] == "meeting.started")
        assert ended.json()["meeting"]["sessionId"] == started["meeting"]["sessionId"]
        again.proc.send_signal(signal.SIGTERM)
        again.rest_of_output()
        assert again.proc.returncode == 0
    assert queued(data) == {}  # delivered, so no longer queued


async def test_a_data_dir_from_before_the_delivery_queue_opens_and_keeps_its_data(tmp_path: Path):
    async with MeetingServer(ServerConfig(data_dir=tmp_path)) as server:
        meeting = await server.admin.create_meeting(title="from schema 1")
    with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:  # as schema 1 left it
        db.execute("DROP TABLE webhook_deliveries")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    async with MeetingServer(ServerConfig(data_dir=tmp_path)) as server:
        assert (await server.admin.get_meeting(meeting["id"]))["title"] == "from schema 1"
        async with WebhookReceiver() as receiver:
            await register(server, receiver.url, EVENTS)
            ada = await server.admin.add_participant(
                meeting["id"], name="Ada", preset_name="group_call_host", custom_participant_id="ada"
            )
            client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
            await client.join()
            await receiver.wait_for("meeting.participantJoined")
            await client.close()
    with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION


async def test_a_failed_attempt_is_stored_with_its_count_and_next_time(tmp_path: Path):
    hour_ms = 3_600_000
    config = ServerConfig(data_dir=tmp_path, webhook_backoff_s=3600, webhook_attempts=3)
    async with WebhookReceiver(statuses=[503]) as receiver:
        async with MeetingServer(config) as server:
            await register(server, receiver.url, ["meeting.started"])
            meeting, (ada,) = await create_meeting(server, "ada")
            client = await ProtoClient.connect(server.base_url, ada, meeting["id"])
            before = now_ms()
            await client.join()
            await receiver.wait_count(1)  # answered 503
            await server.parts.webhooks.quiet()  # the attempt is recorded; the retry is an hour away
            await client.close()
        with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:
            rows = db.execute("SELECT id, attempts, next_ms FROM webhook_deliveries").fetchall()
        (delivery_id, attempts, next_ms), *others = rows
        assert others == []
        assert delivery_id == receiver.received[0].headers["rtk-uuid"]
        assert attempts == 1
        assert before + hour_ms <= next_ms <= now_ms() + hour_ms  # the first backoff step
        async with MeetingServer(config) as server:  # a restart keeps both, and waits for the time
            await server.parts.webhooks.quiet()
            with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:
                assert db.execute("SELECT id, attempts, next_ms FROM webhook_deliveries").fetchall() == rows
        assert len(receiver.received) == 1
