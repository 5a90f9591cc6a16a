"""D8: a thousand messages stamped in one millisecond page completely, whatever the page size.

RealtimeKit's page cursor is a timestamp (inclusive), so equal timestamps would make a
cursor either repeat or skip messages. The server's answer is to never store a tie: within
a meeting ``created_at_ms`` strictly increases (a message arriving in an already used
millisecond is stamped one later), so time order is ``seq`` order and ``last ± 1`` is an
exact cursor. These tests freeze the server's clock to make every message arrive in the same
millisecond, then page with every API the protocol offers: the SDK's timestamp pages
(``fetch_public_messages``), offset pages (RealtimeKit's ``from``), and our revision sync.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from protocol_client import ProtoClient

from rtk_widget.client import Meeting
from rtk_widget.client.chat_requests import Direction
from rtk_widget.server import MeetingServer
from rtk_widget.server.store import messages as mq
from rtk_widget.server.store.records import MessageRecord
from rtk_widget.wire import sync_pb2
from rtk_widget.wire.events import Event
from tests.client.helpers import FAST

from .support import all_records, scale, visible_records

MESSAGES = 1000 * scale()
FROZEN_MS = 1_764_000_000_000
# Every size 1..50 at scale > 1; by default a spread, different per API, to keep CI fast.
TIMESTAMP_PAGE_SIZES = list(range(1, 51)) if scale() > 1 else [1, 7, 50]
OTHER_PAGE_SIZES = list(range(1, 51)) if scale() > 1 else [2, 16, 49]

Pager = Callable[[int, bool], Awaitable[list[str]]]


async def fill_in_one_millisecond(server: MeetingServer, meeting_id: str, people: list[dict[str, Any]],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Store MESSAGES messages through the store's own insert with the clock stopped.

    Some are private between the other two participants (the viewer must page past them),
    some are deleted (pages must leave them out).
    """
    monkeypatch.setattr(mq, "now_ms", lambda: FROZEN_MS)
    rng = random.Random(8)
    viewer, *others = people
    news = []
    for i in range(MESSAGES):
        sender = rng.choice(people)
        private = sender is not viewer and rng.random() < 0.1
        news.append(mq.NewMessage(
            meeting_id=meeting_id, session_id=None, peer_id=f"peer-{sender['id']}", user_id=sender["id"],
            display_name=sender["name"], payload_type=0, payload=f"message {i}",
            target_user_ids=[o["id"] for o in others if o is not sender] + [sender["id"]] if private else [],
            envelope_id=None, file_ids=[]))

    def insert_all(conn: Any) -> list[MessageRecord]:
        return [mq.insert_message(conn, new) for new in news]

    stored = await server.parts.db.write(insert_all)
    for record in rng.sample(stored, MESSAGES // 20):
        await server.parts.db.write(
            lambda c, r=record: mq.change_message(c, meeting_id, r.id, delete=True))


async def page_through(fetch: Callable[[int], Awaitable[tuple[list[Any], bool]]],
                       cursor_after: Callable[[list[Any]], int], start: int = 0) -> list[Any]:
    """Follow a cursor until the server says there is no more; every page must make progress."""
    collected: list[Any] = []
    cursor = start
    while True:
        items, more = await fetch(cursor)
        collected.extend(items)
        if not more:
            return collected
        assert items, "the server said there was more but sent an empty page"
        cursor = cursor_after(items)


@pytest.fixture
async def tied(server: MeetingServer, make_meeting: Any, monkeypatch: pytest.MonkeyPatch
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    meeting, people = await make_meeting("vera", "will", "xena")
    await fill_in_one_millisecond(server, meeting["id"], people, monkeypatch)
    return meeting, people


async def test_the_server_stores_no_ties_even_when_the_clock_stands_still(server, tied):
    meeting, _ = tied
    stored = await all_records(server, meeting["id"])
    assert len(stored) == MESSAGES
    # The tie rule, precisely: the n-th message of a stopped millisecond is stamped n-1 ms later.
    assert [r.created_ms for r in stored] == [FROZEN_MS + r.seq - 1 for r in stored]


@pytest.mark.parametrize("direction", ["after", "before"])
async def test_timestamp_pages_of_every_size_cover_all_messages_once(server, tied, direction: Direction):
    meeting, (vera, *_) = tied
    expected = [r.id for r in await visible_records(server, meeting["id"], vera["id"])]
    if direction == "before":
        expected.reverse()
    client = Meeting(vera["token"], base_url=server.base_url, backoff=FAST)
    await client.join_async()
    step = 1 if direction == "after" else -1
    for size in TIMESTAMP_PAGE_SIZES:

        async def fetch(cursor: int, size: int = size) -> tuple[list[Any], bool]:
            page = await client.chat.fetch_public_messages_async(timestamp=cursor, limit=size,
                                                                 direction=direction)
            assert len(page) <= size
            return page.messages, page.next

        got = await page_through(fetch, lambda items: items[-1].time_ms + step)
        ids = [m.id for m in got]
        assert len(ids) == len(set(ids)), f"size {size}: a message came twice"
        assert ids == expected, f"size {size}: pages skipped or reordered messages"
    await client.leave_async()


@pytest.mark.parametrize("reverse", [False, True])
async def test_offset_pages_of_every_size_cover_all_messages_once(server, tied, reverse: bool):
    meeting, (vera, *_) = tied
    expected = [r.id for r in await visible_records(server, meeting["id"], vera["id"])]
    if reverse:
        expected.reverse()
    socket = await ProtoClient.connect(server.base_url, vera, meeting["id"])
    await socket.join()
    for size in OTHER_PAGE_SIZES:
        offset = {"value": 0}

        async def fetch(_: int, size: int = size, offset: dict[str, int] = offset) -> tuple[list[Any], bool]:
            page = await socket.page(time_stamp=0, size=size, reversed=reverse, **{"from": offset["value"]})
            offset["value"] += len(page.messages)
            return list(page.messages), page.next

        got = [m.chat_id for m in await page_through(fetch, lambda items: 0)]
        assert got == expected, f"size {size}: offset pages skipped, repeated or reordered messages"
    await socket.close()


async def test_revision_sync_pages_of_every_size_cover_all_changes_once(server, tied):
    meeting, (vera, *_) = tied
    visible = await visible_records(server, meeting["id"], vera["id"])
    every = [r for r in await all_records(server, meeting["id"])
             if not r.private or vera["id"] in r.target_user_ids]
    deleted = {r.id for r in every if r.deleted}
    socket = await ProtoClient.connect(server.base_url, vera, meeting["id"])
    await socket.join()
    for size in OTHER_PAGE_SIZES:
        answers: list[sync_pb2.SyncResponse] = []

        async def fetch(after: int, size: int = size, answers: list[Any] = answers) -> tuple[list[Any], bool]:
            answer = await socket.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=after, limit=size),
                                       sync_pb2.SyncResponse)
            answers.append(answer)
            assert len(answer.messages) + len(answer.deleted_ids) <= size
            return [answer], answer.more

        await page_through(fetch, lambda items: items[-1].rev)
        messages = [m.chat_id for a in answers for m in a.messages]
        gone = [d for a in answers for d in a.deleted_ids]
        assert sorted(messages) == sorted(r.id for r in visible), f"size {size}"
        assert len(gone) == len(set(gone)), f"size {size}: a deletion came twice"
        assert set(gone) == deleted, f"size {size}"
    await socket.close()
