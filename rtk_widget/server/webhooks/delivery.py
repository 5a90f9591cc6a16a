"""Webhook delivery, off the request path, from a queue kept in the database.

A session change is queued with :meth:`WebhookDispatcher.enqueue` inside the very transaction
that records it: one ``webhook_deliveries`` row per webhook that opted in, holding the JSON
body, the attempts made and when the next is due. A ``meeting.chatSynced`` body is queued
without its Chat Replay URL: each attempt signs a fresh one against the server's current
address, so a retry an hour later, or after a restart on another port, carries a URL that
downloads. So a change and its deliveries commit
together, and both survive ``kill -9``; a restarted server resumes whatever is due. Joins,
leaves and chat never wait for a receiver: after the commit, :meth:`WebhookDispatcher.wake`
only nudges the worker. The worker makes one attempt per due row, a bounded number at once:
a 2xx or another non-5xx answer ends the delivery (the latter as failed, not retried); a 5xx
or a network error is retried after an exponential backoff, a bounded number of times.
Redirects are not followed.

Delivery is at least once: a crash between a receiver's 2xx and the row's removal sends it
again after the restart, with the same ``rtk-uuid``, on which receivers dedupe (every attempt
carries the same body, but for the Chat Replay URL and its expiry).

The server POSTs wherever a webhook's URL points (http or https only): whoever holds the
management API token chooses the target, as with RealtimeKit's own webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from rtk_widget.server.config import ServerConfig
from rtk_widget.server.rest.replay import Replay
from rtk_widget.server.store import webhooks as wq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import now_ms
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
    """Queues occurrences in the database and delivers them to the webhooks registered for them."""

    def __init__(self, config: ServerConfig, db: Database, signer: WebhookSigner, replay: Replay) -> None:
        self.config = config
        self.db = db
        self.signer = signer
        self.replay = replay
        self.base_url = ""  # where Chat Replay URLs point without public_base_uri; set once listening
        self.dropped = 0  # deliveries not queued because webhook_queue_events were waiting
        self.results: deque[DeliveryResult] = deque(maxlen=1000)  # the latest outcomes, newest last
        self.delivered = asyncio.Event()  # set after each finished delivery (for observers)
        self._changed = asyncio.Event()  # for the worker: something was queued, or an attempt ended
        self._progress = asyncio.Event()  # for settled(): replaced by a fresh one each time it is set
        self._flights: dict[str, asyncio.Task[None]] = {}  # attempts in progress, by delivery id
        self._worker: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        """Start delivering, beginning with whatever an earlier run left due."""
        self._client = httpx.AsyncClient(timeout=self.config.webhook_timeout_s, follow_redirects=False)
        self._worker = asyncio.create_task(self._work(), name="rtk-widget-webhooks")

    def enqueue(self, conn: sqlite3.Connection, occurrence: Occurrence) -> None:
        """Queue ``occurrence`` for its subscribers, in the caller's write transaction.

        Runs inside a database write job; call :meth:`wake` once the write has returned.
        Beyond ``webhook_queue_events`` waiting deliveries, new ones are dropped (logged).
        """
        try:  # a failure here must not undo the change being recorded
            body = json.dumps(self._payload(occurrence), separators=(",", ":")).encode()
            limit = self.config.webhook_queue_events
            _, dropped = wq.enqueue(conn, occurrence.event, body, now_ms(), limit)
        except Exception:
            log.exception("queueing the %s webhooks failed", occurrence.event)
            return
        if dropped:
            self.dropped += dropped
            log.warning("webhook queue full; dropped %d %s deliveries", dropped, occurrence.event)

    def wake(self) -> None:
        """Tell the worker that deliveries were queued (after their transaction committed)."""
        self._changed.set()
        self._progressed()

    async def settled(self) -> None:
        """Wait until every queued delivery has been made or given up on."""
        await self._until(lambda c: wq.waiting(c) == 0)

    async def quiet(self) -> None:
        """Wait until no attempt is in progress and none is due (retries may wait for later)."""
        await self._until(lambda c: wq.due(c, now_ms()) == 0)

    async def _until(self, nothing_left: Callable[[sqlite3.Connection], bool]) -> None:
        while True:
            progress = self._progress  # taken before looking, so no change in between is missed
            if not self._flights and await self.db.read(nothing_left):
                return
            await progress.wait()

    def _progressed(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    async def stop(self, grace_s: float = 2.0) -> None:
        """Deliver what is due for up to ``grace_s``; the rest stays queued for the next start."""
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await self.quiet()
        tasks = [self._worker, *self._flights.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _payload(self, occurrence: Occurrence) -> dict[str, Any]:
        app_id = self.config.app_id
        if occurrence.event == wp.CHAT_SYNCED:
            return wp.chat_synced(occurrence.session, app_id)
        if occurrence.peer is not None:
            return wp.participant_event(occurrence.event, occurrence.session, occurrence.peer, app_id)
        return wp.meeting_event(occurrence.event, occurrence.session, app_id)

    def _body(self, delivery: wq.Delivery) -> bytes:
        """The body to send now: as queued, with a Chat Replay URL signed now for chatSynced."""
        if delivery.event != wp.CHAT_SYNCED:
            return delivery.body
        queued = json.loads(delivery.body)
        download = self.replay.download_url(self.config.api_base(self.base_url), str(queued["sessionId"]))
        return json.dumps(wp.with_chat_download(queued, download), separators=(",", ":")).encode()

    async def _work(self) -> None:
        while True:
            self._changed.clear()
            try:
                next_ms = await self._start_due()
            except Exception:
                log.exception("reading the webhook queue failed")
                next_ms = now_ms() + 1000
            timeout = None if next_ms is None else max(0.0, (next_ms - now_ms()) / 1000)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()

    async def _start_due(self) -> int | None:
        """Start an attempt for each due delivery there is room for; returns when the next
        waiting delivery falls due (None: nothing waits that is not in flight already)."""
        free = self.config.webhook_concurrency - len(self._flights)
        upcoming = await self.db.read(lambda c: wq.upcoming(c, len(self._flights) + free + 1))
        now = now_ms()
        for delivery in upcoming:
            if delivery.id in self._flights:
                continue
            if delivery.next_ms > now or free <= 0:
                return delivery.next_ms if delivery.next_ms > now else None  # woken when a slot frees
            free -= 1
            task = asyncio.create_task(self._attempt(delivery))
            self._flights[delivery.id] = task
            task.add_done_callback(functools.partial(self._landed, delivery.id))
        return None

    def _landed(self, delivery_id: str, _attempt: asyncio.Task[None]) -> None:
        self._flights.pop(delivery_id, None)
        self._changed.set()
        self._progressed()

    async def _attempt(self, delivery: wq.Delivery) -> None:
        try:
            await self._try(delivery)
        except Exception:  # the row stays queued: the attempt is made again
            log.exception("webhook delivery %s failed", delivery.id)

    async def _try(self, delivery: wq.Delivery) -> None:
        """One attempt at ``delivery``, and its outcome recorded."""
        assert self._client is not None
        if delivery.url is None:  # the webhook was deleted or disabled since
            await self.db.write(lambda c: wq.finish(c, delivery.id))
            return
        try:
            body = self._body(delivery)
        except (ValueError, TypeError, KeyError):  # unreadable as queued: no attempt can succeed
            log.exception("webhook delivery %s has an unreadable body; dropped", delivery.id)
            await self.db.write(lambda c: wq.finish(c, delivery.id))
            return
        await self.signer.ready()
        headers = {
            "content-type": "application/json",
            "rtk-signature": self.signer.sign(body),
            "rtk-uuid": delivery.id,
            "rtk-webhook-id": delivery.webhook_id,
        }
        attempts = delivery.attempts + 1
        status: int | None = None
        try:
            response = await self._client.post(delivery.url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            log.info("webhook %s to %s: %s", delivery.event, delivery.url, exc)
        retry = status is None or status >= 500
        if retry and attempts < self.config.webhook_attempts:
            due = now_ms() + int(1000 * self.config.webhook_backoff_s * 2 ** (attempts - 1))
            await self.db.write(lambda c: wq.retry_later(c, delivery.id, attempts, due))
            return
        await self.db.write(lambda c: wq.finish(c, delivery.id))
        ok = status is not None and 200 <= status < 300
        if not ok:
            log.warning(
                "webhook %s to %s failed after %d attempts (status %s)",
                delivery.event,
                delivery.url,
                attempts,
                status,
            )
        self.results.append(
            DeliveryResult(delivery.webhook_id, delivery.event, delivery.id, attempts, status, ok)
        )
        self.delivered.set()
        self.delivered.clear()
