"""The pure feed log: order, numbered deltas, catch-up, paging."""

from __future__ import annotations

import json

import pytest

from rtk_widget.widget._feed import FeedLog
from rtk_widget.widget._protocol import WireMessage


def message(order: int, text: str = "hi", mid: str | None = None) -> WireMessage:
    return {
        "id": mid or f"m{order}",
        "type": "text",
        "userId": "u1",
        "displayName": "Ada",
        "time": 1_700_000_000_000 + order,
        "order": order,
        "edited": False,
        "pinned": False,
        "targetUserIds": [],
        "text": text,
    }


def test_keeps_server_order_whatever_the_arrival_order():
    feed = FeedLog()
    for order in (3, 1, 2, 5, 4):
        feed.upsert(message(order))
    assert [m["order"] for m in feed.messages()] == [1, 2, 3, 4, 5]
    assert len(feed) == 5
    assert "m3" in feed


def test_every_change_is_a_numbered_delta():
    feed = FeedLog()
    feed.upsert(message(1))
    feed.upsert(message(2))
    feed.upsert({**message(1), "text": "edited", "edited": True})
    feed.remove("m2")
    assert feed.feed_seq == 4
    assert feed.since(0) == [
        {"op": "upsert", "message": message(1)},
        {"op": "upsert", "message": message(2)},
        {"op": "upsert", "message": {**message(1), "text": "edited", "edited": True}},
        {"op": "remove", "id": "m2"},
    ]
    assert feed.since(3) == [{"op": "remove", "id": "m2"}]
    assert feed.since(4) == []
    assert [m["text"] for m in feed.messages()] == ["edited"]


def test_removing_an_unknown_message_records_nothing():
    feed = FeedLog()
    feed.upsert(message(1))
    assert feed.remove("nope") is None
    assert feed.feed_seq == 1


def test_catch_up_past_the_ring_or_from_the_future_asks_for_a_reset():
    feed = FeedLog(ring_size=3)
    for order in range(1, 6):
        feed.upsert(message(order))
    assert feed.since(1) is None
    assert [d["message"]["order"] for d in feed.since(2) or [] if d["op"] == "upsert"] == [3, 4, 5]
    assert feed.since(6) is None


def test_reset_replaces_the_log_and_forgets_older_deltas():
    feed = FeedLog()
    feed.upsert(message(1))
    feed.reset([message(7), message(6)])
    assert [m["order"] for m in feed.messages()] == [6, 7]
    assert feed.since(0) is None
    assert feed.since(feed.feed_seq) == []


def test_page_walks_backwards_through_history():
    feed = FeedLog()
    for order in range(1, 11):
        feed.upsert(message(order))
    newest = feed.page(None, 4)
    assert [m["order"] for m in newest.messages] == [7, 8, 9, 10]
    assert newest.has_more
    older = feed.page(newest.messages[0]["order"], 4)
    assert [m["order"] for m in older.messages] == [3, 4, 5, 6]
    oldest = feed.page(older.messages[0]["order"], 4)
    assert [m["order"] for m in oldest.messages] == [1, 2]
    assert not oldest.has_more
    assert feed.page(1, 4).messages == []


def test_an_upsert_that_moves_a_message_reorders_it():
    feed = FeedLog()
    feed.upsert(message(1))
    feed.upsert(message(2))
    feed.upsert(message(5, mid="m1"))
    assert [m["id"] for m in feed.messages()] == ["m2", "m1"]


def test_delta_size_does_not_grow_with_history():
    small, large = FeedLog(), FeedLog()
    for order in range(1, 101):
        small.upsert(message(order))
    for order in range(1, 10_001):
        large.upsert(message(order))
    next_small = json.dumps(small.upsert(message(100_001, "same")))
    next_large = json.dumps(large.upsert(message(100_001, "same")))
    assert len(next_small) == len(next_large)


def test_rejects_nonsense_arguments():
    with pytest.raises(ValueError, match="ring_size"):
        FeedLog(ring_size=0)
    with pytest.raises(ValueError, match="limit"):
        FeedLog().page(None, 0)


def test_finds_messages_by_attachment_link():
    feed = FeedLog()
    image: WireMessage = {**message(1), "type": "image", "link": "http://127.0.0.1/f/a.png"}
    del image["text"]
    feed.upsert(image)
    assert feed.message_with_link("http://127.0.0.1/f/a.png") == image
    assert feed.message_with_link("http://127.0.0.1/f/other.png") is None
    feed.remove("m1")
    assert feed.message_with_link("http://127.0.0.1/f/a.png") is None


def test_page_after_reads_forwards_exactly():
    feed = FeedLog()
    for order in (2, 4, 6, 8, 10):
        feed.upsert(message(order))
    page = feed.page_after(4, 2)
    assert [m["order"] for m in page.messages] == [6, 8]
    assert page.has_more is True
    assert [m["order"] for m in feed.page_after(7, 5).messages] == [8, 10]
    assert feed.page_after(7, 5).has_more is False
    assert [m["order"] for m in feed.page_after(None, 2).messages] == [2, 4]
    assert feed.page_after(10, 3) == ([], False)


def test_pinned_lists_every_pinned_message_oldest_first():
    feed = FeedLog()
    for order in range(1, 6):
        feed.upsert({**message(order), "pinned": order % 2 == 1})
    feed.remove("m3")
    assert [m["id"] for m in feed.pinned()] == ["m1", "m5"]
