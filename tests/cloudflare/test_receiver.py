"""The README's (and docs/rest.md's) webhook receiver runs as written against a real delivery:
it keeps a chatSynced session's chat as a CSV and answers a forged delivery with 401."""

from __future__ import annotations

import asyncio
import csv
import re
from pathlib import Path

import httpx

from tests.server.webhook_receiver import WebhookReceiver

from .test_webhooks import _chat_synced

ROOT = Path(__file__).resolve().parents[2]
REALTIMEKIT_KEY = '"https://api.realtime.cloudflare.com/.well-known/webhooks.json"'


def receiver_example(document: Path) -> str:
    blocks = re.findall(r"```python\n(.*?)```", document.read_text(encoding="utf-8"), re.DOTALL)
    (example,) = [b for b in blocks if "async def hook" in b]
    return example


def post(app, body: bytes, headers: dict[str, str]) -> int:
    """POST to the ASGI app on its own loop (the example blocks while it fetches the key and the CSV)."""

    async def send() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            return (await http.post("/rtk", content=body, headers=headers)).status_code

    return asyncio.run(send())


async def test_the_readme_receiver_keeps_the_chat(server, rtk, tmp_path, monkeypatch):
    example = receiver_example(ROOT / "README.md")
    assert example == receiver_example(ROOT / "docs" / "rest.md")
    assert REALTIMEKIT_KEY in example
    namespace: dict[str, object] = {}
    exec(example.replace(REALTIMEKIT_KEY, repr(server.base_url)), namespace)  # our server's key
    async with WebhookReceiver() as receiver:
        delivery = await _chat_synced(server, rtk, receiver)
    headers = {k: v for k, v in delivery.headers.items() if k.startswith("rtk-") or k == "content-type"}
    monkeypatch.chdir(tmp_path)

    forged = delivery.body.replace(b'"Lab"', b'"Lax"')
    assert await asyncio.to_thread(post, namespace["app"], forged, headers) == 401
    assert list(tmp_path.iterdir()) == []
    assert await asyncio.to_thread(post, namespace["app"], delivery.body, headers) == 204
    (saved,) = tmp_path.iterdir()
    assert saved.name == f"{delivery.json()['sessionId']}.csv"
    with saved.open(newline="") as handle:
        assert [row["text"] for row in csv.DictReader(handle)] == ["first", "second"]
