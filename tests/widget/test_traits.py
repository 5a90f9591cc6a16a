"""ChatWidget's Python state mirrors a real meeting on the embedded server."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from rtk_widget import Meeting
from rtk_widget.client.chat_history import order_of
from rtk_widget.widget import ChatWidget

from .support import Recorder, Watch, png


def test_messages_and_pinned_mirror_the_meeting_after_every_kind_of_change(widget, ada, bob):
    watch = Watch(widget)
    pinned = Watch(widget, "pinned")

    mine = widget.send_text("hello")
    assert widget.messages == ada.chat.messages == [mine]
    assert len(watch.changes) == 1

    theirs = bob.chat.send_text_message("hi Ada")
    watch.wait_for(lambda ms: [m.id for m in ms] == [mine.id, theirs.id])
    assert widget.messages == ada.chat.messages
    assert len(watch.changes) == 2

    edited = widget.edit_text(mine.id, "hello, edited")
    assert edited.is_edited
    assert widget.messages[0].message == "hello, edited"
    assert len(watch.changes) == 3

    widget.pin(theirs.id)
    assert [m.id for m in widget.pinned] == [theirs.id] == [m.id for m in ada.chat.pinned]
    assert len(watch.changes) == 4
    assert len(pinned.changes) == 1

    widget.unpin(theirs.id)
    assert widget.pinned == []
    assert len(pinned.changes) == 2

    widget.delete(mine.id)
    assert [m.id for m in widget.messages] == [theirs.id]
    assert widget.messages == ada.chat.messages
    assert len(watch.changes) == 6


def test_edits_pins_and_deletes_by_others_reach_the_traits(widget, bob):
    watch = Watch(widget)
    message = bob.chat.send_text_message("typo")
    watch.wait_for(lambda ms: [m.id for m in ms] == [message.id])
    bob.chat.edit_text_message(message.id, "fixed")
    watch.wait_for(lambda ms: ms[0].message == "fixed" and ms[0].is_edited)
    bob.chat.delete_message(message.id)
    watch.wait_for(lambda ms: ms == [])
    assert len(watch.changes) == 3


def test_each_change_is_a_new_list(widget, bob):
    first = widget.messages
    widget.send_text("one")
    assert widget.messages is not first
    assert first == []


def test_images_and_files_sent_from_python(widget):
    image = widget.send_image(png(), name="dots.png")
    file = widget.send_file(("notes.csv", b"a,b\n1,2\n"))
    assert [m.type for m in widget.messages] == ["image", "file"]
    assert image.link
    assert (file.name, file.size) == ("notes.csv", 8)


def test_private_message_to_a_user_id(widget, bob):
    message = widget.send_text("just for Bob", to=[bob.self.user_id])
    assert message.target_user_ids
    assert widget.messages[-1].is_private


def test_unknown_recipient_is_refused_before_sending(widget):
    with pytest.raises(ValueError, match="nobody called 'nobody'"):
        widget.send_text("hello?", to=["nobody"])
    assert widget.messages == []


def test_on_message_and_on_change_subscriptions(widget, bob):
    watch = Watch(widget)
    new, changes = [], []
    stop_new = widget.on_message(new.append)
    widget.on_change(lambda event: changes.append(event.action))
    message = bob.chat.send_text_message("ping")
    bob.chat.edit_text_message(message.id, "pong")
    watch.wait_for(lambda ms: bool(ms) and ms[0].is_edited)
    assert [m.id for m in new] == [message.id]
    assert changes == ["add", "edit"]

    stop_new()
    bob.chat.send_text_message("after unsubscribe")
    watch.wait_for(lambda ms: len(ms) == 2)
    assert len(new) == 1
    assert changes == ["add", "edit", "add"]


def test_errors_in_user_callbacks_are_logged_and_shown(widget, bob, caplog):
    watch = Watch(widget)

    def broken(message):
        raise RuntimeError("callback bug")

    widget.on_message(broken)
    with caplog.at_level(logging.ERROR, logger="rtk_widget"):
        bob.chat.send_text_message("trigger")
        watch.wait_for(lambda ms: len(ms) == 1)
        Watch(widget, "last_error").wait_for(lambda error: error is not None)
    assert "callback bug" in widget.last_error["message"]
    assert any("callback bug" in r.getMessage() or "callback bug" in str(r.exc_info) for r in caplog.records)


def test_synced_state_holds_no_token_and_no_chat_content(widget, ada, bob):
    widget.send_text("secret plans")
    state = json.dumps(widget.get_state(), default=str)
    assert "secret plans" not in state
    assert ada._token not in state
    synced = set(widget.keys)
    assert "messages" not in synced
    assert "pinned" not in synced
    assert {
        "connection_state",
        "self_info",
        "participants",
        "last_error",
        "limits",
        "title",
        "media_mode",
    } <= synced


def test_small_traits_describe_the_meeting(widget, ada, bob):
    Watch(widget, "participants").wait_for(lambda people: len(people) == 1)
    assert widget.participants == [{"user_id": bob.self.user_id, "display_name": "Bob"}]
    assert widget.self_info["user_id"] == ada.self.user_id
    assert widget.self_info["permissions"]["can_pin"] is True
    assert widget.connection_state == "connected"
    assert widget.title == ada.title
    assert widget.limits["max_text_length"] == ada.chat.max_text_limit


def test_rejects_unknown_constructor_arguments(ada):
    with pytest.raises(TypeError, match="colour"):
        ChatWidget(ada, colour="red")  # type: ignore[call-arg]


def test_needs_a_joined_meeting():
    from rtk_widget.client.errors import NotJoinedError

    with pytest.raises(TypeError, match="needs a Meeting"):
        ChatWidget("not a meeting")  # type: ignore[arg-type]
    unjoined = Meeting.local(display_name="Later", join=False)
    with pytest.raises(NotJoinedError, match="join the meeting first"):
        ChatWidget(unjoined)


def test_scroll_to_is_a_push_and_needs_a_known_message(widget, recorder):
    message = widget.send_text("look here")
    widget.scroll_to(message.id)
    # The order lets the panel wait for the message's delta instead of searching history.
    order = order_of(widget._feed.store.get(message.id))  # type: ignore[arg-type]
    assert recorder.pushes("scroll-to") == [{"kind": "scroll-to", "messageId": message.id, "order": order}]
    with pytest.raises(ValueError, match="no message"):
        widget.scroll_to("missing")


def test_close_stops_following_the_meeting(ada, bob):
    chat = ChatWidget(ada)
    chat.close()
    arrived = threading.Event()
    ada.chat.on("newMessage", lambda message: arrived.set())
    bob.chat.send_text_message("after close")
    assert arrived.wait(10)
    assert ada.dispatcher.flush()
    assert chat.messages == []


def test_to_pandas(widget, bob):
    widget.send_text("row one")
    frame = widget.to_pandas()
    assert list(frame["text"]) == ["row one"]
    assert list(frame["display_name"]) == ["Ada"]


def test_bytes_per_new_message_do_not_grow_with_history(ada, bob):
    sizes = {}
    for history in (100, 10_000):
        sizes[history] = _push_size_after_history(ada, history)
    assert abs(sizes[100] - sizes[10_000]) <= 8, sizes


def _push_size_after_history(ada: Meeting, history: int) -> int:
    """Bytes of the deltas push for one new message in a meeting that already holds ``history``."""
    from rtk_widget.client.local import local_server
    from rtk_widget.client.runtime import get_runtime
    from rtk_widget.server.store.messages import NewMessage, insert_message

    runtime = get_runtime()
    host = Meeting.local(display_name="Host", title=f"history {history}")
    server = runtime.run(local_server(runtime))

    def fill(conn):
        for n in range(history):
            insert_message(
                conn,
                NewMessage(
                    host.meeting_id, None, "peer", "someone", "Someone", 0, f"old {n:05d}", [], None, []
                ),
            )

    runtime.run(server.parts.db.write(fill))
    reader = Meeting.local(display_name="Reader", meeting=host)
    recorder = Recorder()
    chat = ChatWidget(reader)
    chat.send = recorder  # type: ignore[method-assign]
    try:
        assert len(chat.messages) == history
        host.chat.send_text_message("the same new message")
        content, _ = recorder.wait(lambda c: c.get("kind") == "deltas")
        return len(json.dumps(content))
    finally:
        chat.close()
        reader.leave()
        host.leave()


def test_the_panels_feed_position_is_taken_without_being_sent_back(widget, monkeypatch):
    # The panel writes seen_feed_seq for hosts like marimo; ipywidgets would echo each such
    # change back to the browser, a second frame for every new message.
    sent: list[dict] = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: sent.append(msg))
    observed: list[int] = []
    widget.observe(lambda change: observed.append(change["new"]), "seen_feed_seq")
    widget._handle_msg({"content": {"data": {"method": "update", "state": {"seen_feed_seq": 5},
                                             "buffer_paths": []}}, "buffers": []})
    assert widget.seen_feed_seq == 5
    assert observed == [5]
    assert [m for m in sent if m.get("method") == "echo_update"] == []
