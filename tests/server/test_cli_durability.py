"""The command line server: starts, prints its URL, stops on SIGTERM; and acknowledged
messages survive ``kill -9`` exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from protocol_client import ProtoClient

from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.envelope import parse_payload
from rtk_widget.wire.events import Event

API_TOKEN = "test-api-token-0123456789"
CLI = [sys.executable, "-m", "rtk_widget.cli"]


class ServeProcess:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--port", "0", "--api-token", API_TOKEN, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.url = ""

    async def started(self, within: float = 20) -> str:
        async def read() -> str:
            assert self.proc.stdout is not None
            while True:
                line = await asyncio.to_thread(self.proc.stdout.readline)
                if not line:
                    raise RuntimeError(
                        "server exited: " + (self.proc.stderr.read() if self.proc.stderr else "")
                    )
                self.lines.append(line)
                match = re.search(r"listening on (\S+)", line)
                if match:
                    return match.group(1)

        self.url = await asyncio.wait_for(read(), within)
        return self.url

    def rest_of_output(self) -> str:
        assert self.proc.stdout is not None  # read through the same buffer as readline() above
        out = self.proc.stdout.read()
        self.proc.wait(timeout=20)
        return "".join(self.lines) + out


async def management(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{url}/client/v4/accounts/local/realtime/kit/local",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        verify=False,
    )


async def test_cli_starts_prints_url_and_stops_on_sigterm():
    server = ServeProcess()
    url = await server.started()
    assert url.startswith("http://127.0.0.1:")
    async with await management(url) as api:
        assert (await api.get("/presets")).status_code == 200
    server.proc.send_signal(signal.SIGTERM)
    output = server.rest_of_output()
    assert server.proc.returncode == 0
    assert "API token:       " + API_TOKEN in output
    assert "curl" in output
    assert "rtk-widget server stopped" in output


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
async def test_printed_curl_line_creates_a_token_over_tls(tmp_path):
    server = ServeProcess("--tls-self-signed", "--data-dir", str(tmp_path))
    url = await server.started()
    assert url.startswith("https://")
    while not any(line.startswith("  M=$(curl") for line in server.lines):
        server.lines.append(await asyncio.to_thread(server.proc.stdout.readline))
    command = next(line for line in server.lines if line.startswith("  M=$(curl")).strip()
    result = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=30
    )
    assert '"token":"eyJ' in result.stdout, result.stderr
    assert (tmp_path / "tls" / "cert.pem").exists()
    server.proc.send_signal(signal.SIGINT)
    server.rest_of_output()
    assert server.proc.returncode == 0


async def test_token_subcommand_and_public_base_uri():
    server = ServeProcess("--public-base-uri", "rtk.localhost:8443")
    url = await server.started()
    result = await asyncio.to_thread(
        subprocess.run,
        [*CLI, "token", "--url", url, "--api-token", API_TOKEN],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("eyJ")
    async with httpx.AsyncClient(base_url=url) as http:
        details = await http.get(
            "/v2/internals/participant-details", headers={"Authorization": f"Bearer {result.stdout.strip()}"}
        )
    assert details.json()["data"]["socket"]["base_uri"] == "rtk.localhost:8443"
    bad = await asyncio.to_thread(
        subprocess.run,
        [*CLI, "token", "--url", url, "--api-token", "wrong"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 1
    assert "401" in bad.stderr
    server.proc.send_signal(signal.SIGTERM)
    server.rest_of_output()


async def test_acknowledged_messages_survive_kill_9(tmp_path: Path):
    data = tmp_path / "data"
    server = ServeProcess("--data-dir", str(data))
    url = await server.started()
    async with await management(url) as api:
        meeting = (await api.post("/meetings", json={"title": "durable"})).json()["data"]
        ada = (
            await api.post(
                f"/meetings/{meeting['id']}/participants",
                json={"custom_participant_id": "ada", "preset_name": "group_call_host"},
            )
        ).json()["data"]
    client = await ProtoClient.connect(url, ada, meeting["id"])
    await client.join()

    acked: dict[str, chat_pb2.ChatMessage] = {}  # envelope id -> message
    sent: list[str] = []
    window = 8
    enough = asyncio.Event()

    async def stream() -> None:
        n = 0
        while True:
            while len(sent) - len(acked) < window:
                rid = f"env-{n}"
                n += 1
                sent.append(rid)
                await client.send_frame(
                    Event.SEND_MESSAGE_TO_ROOM, chat_pb2.SendChatMessageToRoomRequest(payload=f"m{n}"), rid
                )
            frame = await client.expect(lambda f: f.event == Event.SEND_MESSAGE_TO_ROOM, within=10)
            acked[frame.id] = parse_payload(chat_pb2.SendChatMessageToRoomResponse, frame.payload).message
            if len(acked) >= 150:
                enough.set()

    task = asyncio.create_task(stream())
    await asyncio.wait_for(enough.wait(), 60)  # the stream goes on: the kill lands mid-stream
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.close()
    acked_now = dict(acked)

    # integrity before the restart (WAL replayed by a fresh connection)
    with sqlite3.connect(data / "rtk.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    again = ServeProcess("--data-dir", str(data))
    url = await again.started()
    client = await ProtoClient.connect(url, ada, meeting["id"])  # the token is still valid: same secret
    await client.join()
    # resend everything that was sent (acked or not) with the same envelope ids: stored once each
    for rid in sent:
        await client.send_text(f"m{int(rid.split('-')[1]) + 1}", request_id=rid)
    sync = await client.call(
        Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=0, limit=500), sync_pb2.SyncResponse
    )
    stored = {m.chat_id: m for m in sync.messages}
    assert len(stored) == len(sent)  # nothing twice
    for rid, message in acked_now.items():
        assert stored[message.chat_id] == message, rid  # every ack is there, unchanged
    assert sorted(int(m.channel_index) for m in stored.values()) == list(range(1, len(sent) + 1))
    await client.close()
    again.proc.send_signal(signal.SIGTERM)
    again.rest_of_output()
    with sqlite3.connect(data / "rtk.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM dedupe").fetchone()[0] == len(sent)


async def test_serve_reports_a_busy_port_and_a_bad_certificate(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    try:
        for args, message in (
            (["--port", port], "cannot listen on 127.0.0.1:" + port),
            (
                ["--port", "0", "--tls-cert", str(bad), "--tls-key", str(bad)],
                "cannot use the TLS certificate",
            ),
            (["--port", "0", "--tls-cert", str(bad)], "--tls-cert and --tls-key go together"),
        ):
            result = await asyncio.to_thread(
                subprocess.run, [*CLI, "serve", *args], capture_output=True, text=True, timeout=30
            )
            assert result.returncode in (1, 2), result
            assert message in result.stderr
    finally:
        busy.close()
