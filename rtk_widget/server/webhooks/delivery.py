"""Webhook delivery, off the request path.

Session changes are handed over with :meth:`WebhookDispatcher.notify`, which never waits: it
puts the event on a bounded queue (a full queue drops the event, logged), so joins, leaves
and chat never wait for a receiver. One worker looks up the webhooks that opted in and
starts a delivery per webhook, a bounded number at once. A delivery POSTs the JSON body
signed with ``rtk-signature`` and retries 5xx answers and network errors with exponential
backoff, a bounded number of times; any other non-2xx answer fails it at once. Redirects
are not followed.

The server POSTs wherever a webhook's URL points (http or https only): whoever holds the
management API token chooses the target, as with RealtimeKit's own webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from rtk_widget.server.config import ServerConfig
from rtk_widget.server.rest.replay import Replay
from rtk_widget.server.store import webhooks as wq
from rtk_widget.server.store.db import Database
from rtk_widget.server.webhooks import payloads as wp
from rtk_widget.server.webhooks.signing import WebhookSigner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Something a webhook may be told about, with the stored rows it is described from."""

    event: str
    session: Mapping[str, Any]  # a sessions row with its meeting's title
    peer: Mapping[str, Any] | None = None  # a session_peers row, for participant events


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one delivery ended: ``status`` is the last HTTP status (None: network error)."""

    webhook_id: str
    event: str
    delivery_id: str
    attempts: int
    status: int | None
    ok: bool


class WebhookDispatcher:
    """Queues occurrences and delivers them to the webhooks registered for them."""

    def __init__(self, config: ServerConfig, db: Database, signer: WebhookSigner, replay: Replay) -> None:
        self.config = config
        self.db = db
        self.signer = signer
        self.replay = replay
        self.base_url = ""  # where Chat Replay URLs point without public_base_uri; set once listening
        self.dropped = 0
        self.results: deque[DeliveryResult] = deque(maxlen=1000)  # the latest outcomes, newest last
        self.delivered = asyncio.Event()  # set after each finished delivery (for observers)
        self._queue: asyncio.Queue[Occurrence] = asyncio.Queue(maxsize=config.webhook_queue_events)
        self._slots = asyncio.Semaphore(config.webhook_concurrency)
        self._deliveries: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.config.webhook_timeout_s, follow_redirects=False)
        self._worker = asyncio.create_task(self._work(), name="rtk-widget-webhooks")

    def notify(self, occurrence: Occurrence) -> None:
        """Queue an occurrence; never blocks (a full queue drops it)."""
        try:
            self._queue.put_nowait(occurrence)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("webhook queue full; dropped %s", occurrence.event)

    async def settled(self) -> None:
        """Wait until every queued occurrence is fanned out and every delivery has finished."""
        await self._queue.join()
        while self._deliveries:
            await asyncio.wait(set(self._deliveries))

    async def stop(self, grace_s: float = 2.0) -> None:
        """Deliver what is queued and in flight for up to ``grace_s``, then give up on the rest."""
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await self.settled()
        for task in [self._worker, *self._deliveries]:
            task.cancel()
        await asyncio.gather(self._worker, *self._deliveries, return_exceptions=True)
        self._worker = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _work(self) -> None:
        while True:
            occurrence = await self._queue.get()
            try:
                await self._fan_out(occurrence)
            except Exception:
                log.exception("webhook fan-out for %s failed", occurrence.event)
            finally:
                self._queue.task_done()

    async def _fan_out(self, occurrence: Occurrence) -> None:
        targets = await self.db.read(lambda c: wq.subscribers(c, occurrence.event))
        if not targets:
            return
        body = json.dumps(self._payload(occurrence), separators=(",", ":")).encode()
        await self.signer.ready()
        signature = self.signer.sign(body)
        for webhook_id, url in targets:
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(webhook_id, url, occurrence.event, body, signature))
            self._deliveries.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        self._slots.release()

    def _payload(self, occurrence: Occurrence) -> dict[str, Any]:
        app_id = self.config.app_id
        if occurrence.event == wp.CHAT_SYNCED:
            base = (
                f"https://api.{self.config.public_base_uri}" if self.config.public_base_uri else self.base_url
            )
            download = self.replay.download_url(base, str(occurrence.session["id"]))
            return wp.chat_synced(occurrence.session, app_id, download)
        if occurrence.peer is not None:
            return wp.participant_event(occurrence.event, occurrence.session, occurrence.peer, app_id)
        return wp.meeting_event(occurrence.event, occurrence.session, app_id)

    async def _deliver(self, webhook_id: str, url: str, event: str, body: bytes, signature: str) -> None:
        assert self._client is not None
        delivery_id = str(uuid.uuid4())  # the same on every retry: receivers dedupe on it
        headers = {
            "content-type": "application/json",
            "rtk-signature": signature,
            "rtk-uuid": delivery_id,
            "rtk-webhook-id": webhook_id,
        }
        status: int | None = None
        attempts = 0
        ok = False
        while attempts < self.config.webhook_attempts:
            if attempts:
                await asyncio.sleep(self.config.webhook_backoff_s * 2 ** (attempts - 1))
            attempts += 1
            try:
                status = (await self._client.post(url, content=body, headers=headers)).status_code
            except httpx.HTTPError as exc:
                status = None
                log.info("webhook %s to %s: %s", event, url, exc)
                continue
            if status < 500:
                ok = 200 <= status < 300
                break
        if not ok:
            log.warning("webhook %s to %s failed after %d attempts (status %s)", event, url, attempts, status)
        self.results.append(DeliveryResult(webhook_id, event, delivery_id, attempts, status, ok))
        self.delivered.set()
        self.delivered.clear()
