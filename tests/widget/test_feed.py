"""The feed over the client's store: order, views, numbered deltas, catch-up, paging.

The chat state, its store, the event emitter and the callback thread are the client's own;
only the widget's outputs (push, traits, failures) are collected in lists.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from rtk_widget.client.chat_history import MessageStore, MessagesView
from rtk_widget.client.chat_state import ChatState
from rtk_widget.client.events import EventEmitter, ThreadDispatcher
from rtk_widget.client.messages import TextMessage, time_from_ms
from rtk_widget.widget._feed import ChatFeed


def message(order: int, text: str = "hi", mid: str | None = None, **fields: Any) -> TextMessage:
    time_ms = 1_700_000_000_000 + order
    return TextMessage(
        id=mid or f"m{order}",
        user_id="u1",
        display_name="Ada",
        time=time_from_ms(time_ms),
        time_ms=time_ms,
        seq=order,
        message=text,
        **fields,
    )


class Outputs:
    """What the feed hands to the widget."""

    def __init__(self) -> None:
        self.pushes: list[dict[str, Any]] = []
        self.shown: list[tuple[MessagesView, MessagesView]] = []
        self.failures: list[tuple[str, Exception]] = []


@pytest.fixture
def chat():
    emitter = EventEmitter(ThreadDispatcher())
    state = ChatState(emitter)
    out = Outputs()
    feed = ChatFeed(
        state.store,
        emitter,
        emitter.dispatcher,
        push=lambda push: out.pushes.append(dict(push)),
        show=lambda messages, pinned: out.shown.append((messages, pinned)),
        report=lambda what, exc: out.failures.append((what, exc)),
        ring_size=3,
    )
    feed.start()
    yield state, feed, out
    feed.stop()


def settle(feed: ChatFeed) -> None:
    assert feed.dispatcher.flush()


# ----- the store -----


def test_keeps_server_order_whatever_the_arrival_order():
    store = MessageStore()
    for order in (3, 1, 2, 5, 4):
        store.apply(message(order))
    assert [m.seq for m in store.view()] == [1, 2, 3, 4, 5]
    assert len(store) == 5
    assert store.get("m3") is not None


def test_page_walks_backwards_through_history():
    store = MessageStore()
    for order in range(1, 11):
        store.apply(message(order))
    newest = store.page_before(None, 4)
    assert [m.seq for m in newest.messages] == [7, 8, 9, 10]
    assert newest.has_more
    older = store.page_before(7, 4)
    assert [m.seq for m in older.messages] == [3, 4, 5, 6]
    oldest = store.page_before(3, 4)
    assert [m.seq for m in oldest.messages] == [1, 2]
    assert not oldest.has_more
    assert store.page_before(1, 4).messages == []


def test_page_after_reads_forwards_exactly():
    store = MessageStore()
    for order in (2, 4, 6, 8, 10):
        store.apply(message(order))
    page = store.page_after(4, 2)
    assert [m.seq for m in page.messages] == [6, 8]
    assert page.has_more is True
    assert [m.seq for m in store.page_after(7, 5).messages] == [8, 10]
    assert store.page_after(7, 5).has_more is False
    assert [m.seq for m in store.page_after(None, 2).messages] == [2, 4]
    assert store.page_after(10, 3).messages == []
    assert store.page_after(10, 3).has_more is False


def test_a_change_that_moves_a_message_reorders_it():
    store = MessageStore()
    store.apply(message(1, rev=1))
    store.apply(message(2, rev=2))
    store.apply(message(5, mid="m1", rev=3))
    assert [m.id for m in store.view()] == ["m2", "m1"]


def test_rejects_nonsense_arguments():
    with pytest.raises(ValueError, match="ring_size"):
        ChatFeed(MessageStore(), None, None, push=print, show=print, report=print, ring_size=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        MessageStore().page_before(None, 0)


def test_views_are_snapshots_that_later_changes_never_reach():
    store = MessageStore()
    for order in range(1, 4):
        store.apply(message(order, rev=order))
    before = store.view()
    store.apply(message(4, rev=4))  # appended in place
    store.apply(message(2, "edited", rev=5))  # copied on write
    store.remove("m1")
    assert [(m.seq, m.message) for m in before] == [(1, "hi"), (2, "hi"), (3, "hi")]
    assert [(m.seq, m.message) for m in store.view()] == [(2, "edited"), (3, "hi"), (4, "hi")]
    assert before == [message(1, rev=1), message(2, rev=2), message(3, rev=3)]
    assert before != store.view()
    assert store.view() == store.view()
    assert before[-1].seq == 3
    assert before[0:2] == [message(1, rev=1), message(2, rev=2)]
    with pytest.raises(IndexError):
        before[3]


def test_a_view_costs_the_same_whatever_the_history():
    store = MessageStore()
    for order in range(1, 10_001):
        store.apply(message(order))
    first = store.view()
    store.apply(message(10_001))
    # Appending shares the list with every earlier view: nothing was copied.
    assert first._items is store.view()._items
    assert len(first) == 10_000
    assert len(store.view()) == 10_001


def test_pinned_view_changes_only_with_the_pins():
    store = MessageStore()
    for order in range(1, 6):
        store.apply(message(order, pinned=order % 2 == 1, rev=order))
    pinned = store.pinned_view()
    store.apply(message(6, rev=6))
    assert store.pinned_view() is pinned
    store.remove("m3")
    assert [m.id for m in store.pinned_view()] == ["m1", "m5"]
    assert [m.id for m in pinned] == ["m1", "m3", "m5"]


# ----- the feed -----


def test_every_change_is_a_numbered_delta(chat):
    state, feed, out = chat
    state.apply_message(message(1, rev=1))
    state.apply_message(message(2, rev=2))
    state.apply_message(message(1, "edited", rev=3, is_edited=True))
    state.apply_delete("m2")
    settle(feed)
    assert feed.feed_seq == 4
    caught_up = feed.since(1)
    assert caught_up is not None
    deltas, feed_seq = caught_up
    assert feed_seq == 4
    assert [d["op"] for d in deltas] == ["upsert", "upsert", "remove"]
    assert deltas[1]["message"]["text"] == "edited"  # type: ignore[typeddict-item]
    assert deltas[2] == {"op": "remove", "id": "m2"}
    assert feed.since(3) == ([{"op": "remove", "id": "m2"}], 4)
    assert feed.since(4) == ([], 4)
    assert [m.message for m in feed.store.view()] == ["edited"]
    # Every delta reached the front end once, numbered from 1 without a gap.
    numbered = [(push["first"] + i, item) for push in out.pushes for i, item in enumerate(push["items"])]
    assert [n for n, _ in numbered] == [1, 2, 3, 4]


def test_removing_an_unknown_message_records_nothing(chat):
    state, feed, _ = chat
    state.apply_message(message(1))
    state.apply_delete("nope")
    settle(feed)
    assert feed.feed_seq == 1


def test_catch_up_past_the_ring_or_from_the_future_asks_for_a_reset(chat):
    state, feed, _ = chat
    for order in range(1, 6):
        state.apply_message(message(order))
    settle(feed)
    assert feed.since(1) is None
    caught_up = feed.since(2)
    assert caught_up is not None
    assert [d["message"]["order"] for d in caught_up[0] if d["op"] == "upsert"] == [3, 4, 5]
    assert feed.since(6) is None


def test_traits_are_shown_on_every_change(chat):
    state, feed, out = chat
    shown_at_start = len(out.shown)
    state.apply_message(message(1, rev=1))
    state.apply_message(message(1, "pinned", pinned=True, rev=2))
    settle(feed)
    assert len(out.shown) == shown_at_start + 2
    messages, pinned = out.shown[-1]
    assert [m.message for m in messages] == ["pinned"]
    assert [m.id for m in pinned] == ["m1"]


def test_delta_size_does_not_grow_with_history():
    sizes = []
    for history in (100, 10_000):
        emitter = EventEmitter(ThreadDispatcher())
        state = ChatState(emitter)
        for order in range(1, history + 1):
            state.apply_message(message(order), emit=False)
        pushes: list[dict[str, Any]] = []
        feed = ChatFeed(
            state.store, emitter, emitter.dispatcher, push=pushes.append, show=lambda *_: None, report=print
        )
        feed.start()
        state.apply_message(message(100_001, "same"))
        settle(feed)
        feed.stop()
        sizes.append(len(json.dumps(pushes[-1])))
    assert sizes[0] == sizes[1]


def test_pages_are_wire_messages_with_the_feed_position(chat):
    state, feed, _ = chat
    for order in range(1, 6):
        state.apply_message(message(order))
    state.apply_message(replace(message(6), pinned=True))
    settle(feed)
    messages, has_more, feed_seq = feed.page_before(None, 2)
    assert [m["order"] for m in messages] == [5, 6]
    assert has_more
    assert feed_seq == 6
    messages, has_more, _ = feed.page_after(4, 5)
    assert [m["id"] for m in messages] == ["m5", "m6"]
    assert not has_more
    pinned, _ = feed.pinned()
    assert [m["id"] for m in pinned] == ["m6"]


def test_a_failing_subscriber_is_reported_and_the_feed_goes_on(chat):
    state, feed, out = chat

    def broken(_: object) -> None:
        raise RuntimeError("callback bug")

    feed.subscribe_messages(broken)
    state.apply_message(message(1))
    state.apply_message(message(2))
    settle(feed)
    assert [what for what, _ in out.failures] == [f"on_message callback {broken!r}"] * 2
    assert feed.feed_seq == 2
