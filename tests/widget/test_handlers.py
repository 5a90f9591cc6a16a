"""The comm protocol: requests delivered as comm messages, replies captured from widget.send."""

from __future__ import annotations

import pytest
import traitlets

from rtk_widget.client.errors import (
    ConnectionLostError,
    PermissionDeniedError,
    RateLimitedError,
    TextTooLongError,
)
from rtk_widget.widget import ChatWidget
from rtk_widget.widget._errors import error_payload

from .support import Recorder, Watch, deliver, png, request


def error_of(recorder: Recorder, request_id: str) -> dict:
    reply = recorder.reply(request_id)
    assert "response" not in reply, reply
    return reply["error"]


def response_of(recorder: Recorder, request_id: str) -> dict:
    reply = recorder.reply(request_id)
    assert "error" not in reply, reply
    return reply["response"]


def test_page_returns_ascending_windows_with_the_feed_position(widget, recorder):
    sent = [widget.send_text(f"message {n}") for n in range(5)]
    Watch(widget).wait_for(lambda ms: len(ms) == 5)
    newest = response_of(recorder, request(widget, "page", {"before": None, "limit": 3}))
    assert [m["text"] for m in newest["messages"]] == ["message 2", "message 3", "message 4"]
    assert newest["hasMore"] is True
    older = response_of(
        recorder, request(widget, "page", {"before": newest["messages"][0]["order"], "limit": 3})
    )
    assert [m["id"] for m in older["messages"]] == [sent[0].id, sent[1].id]
    assert older["hasMore"] is False
    assert recorder.reply(recorder.sent[-1][0]["id"])["kind"] == "page-response"


def test_page_rejects_bad_limits(widget, recorder):
    assert error_of(recorder, request(widget, "page", {"before": None, "limit": 0}))["code"] == "invalid"
    assert error_of(recorder, request(widget, "page", {"before": None, "limit": "10"}))["code"] == "invalid"
    assert error_of(recorder, request(widget, "page", {"before": True, "limit": 5}))["code"] == "invalid"


def test_page_after_pages_forwards_from_a_cursor(widget, recorder):
    sent = [widget.send_text(f"message {n}") for n in range(5)]
    Watch(widget).wait_for(lambda ms: len(ms) == 5)
    everything = response_of(recorder, request(widget, "page", {"before": None, "limit": 5}))
    orders = [m["order"] for m in everything["messages"]]
    newer = response_of(recorder, request(widget, "page", {"after": orders[1], "limit": 2}))
    assert [m["id"] for m in newer["messages"]] == [sent[2].id, sent[3].id]
    assert newer["hasMore"] is True
    rest = response_of(recorder, request(widget, "page", {"after": orders[3], "limit": 10}))
    assert [m["id"] for m in rest["messages"]] == [sent[4].id]
    assert rest["hasMore"] is False
    oldest = response_of(recorder, request(widget, "page", {"after": None, "limit": 1}))
    assert [m["id"] for m in oldest["messages"]] == [sent[0].id]
    both = request(widget, "page", {"before": orders[4], "after": orders[0], "limit": 2})
    assert error_of(recorder, both)["code"] == "invalid"
    assert error_of(recorder, request(widget, "page", {"after": "x", "limit": 2}))["code"] == "invalid"


def test_pinned_lists_every_pinned_message_the_user_sees(widget, recorder, bob):
    first = widget.send_text("first")
    widget.send_text("second")
    third = widget.send_text("third")
    widget.pin(first.id)
    widget.pin(third.id)
    Watch(widget, "pinned").wait_for(lambda ms: len(ms) == 2)
    widget._feed.settle()
    answer = response_of(recorder, request(widget, "pinned", {}))
    assert [m["id"] for m in answer["messages"]] == [m.id for m in widget.pinned] == [first.id, third.id]
    assert all(m["pinned"] for m in answer["messages"])
    assert answer["feedSeq"] == widget._feed.feed_seq


def test_catch_up_returns_missed_deltas_or_a_reset(widget, recorder, bob):
    start = response_of(recorder, request(widget, "page", {"before": None, "limit": 50}))["feedSeq"]
    first = widget.send_text("one")
    bob.chat.send_text_message("two")
    Watch(widget).wait_for(lambda ms: len(ms) == 2)
    widget._feed.settle()
    caught_up = response_of(recorder, request(widget, "catch-up", {"after": start}))
    assert [d["message"]["text"] for d in caught_up["deltas"]] == ["one", "two"]
    assert caught_up["feedSeq"] == start + 2
    widget.delete(first.id)
    Watch(widget).wait_for(lambda ms: len(ms) == 1)
    assert response_of(recorder, request(widget, "catch-up", {"after": start + 2}))["deltas"] == [
        {"op": "remove", "id": first.id}
    ]
    assert response_of(recorder, request(widget, "catch-up", {"after": start + 99})) == {"reset": True}


def test_new_messages_are_pushed_as_numbered_deltas(widget, recorder, bob):
    bob.chat.send_text_message("pushed")
    push, _ = recorder.wait(lambda c: c.get("kind") == "deltas")
    assert push["items"][0]["op"] == "upsert"
    assert push["items"][0]["message"]["text"] == "pushed"
    assert push["items"][0]["message"]["displayName"] == "Bob"
    assert push["first"] == widget._feed.feed_seq - len(push["items"]) + 1


def test_send_edit_pin_unpin_delete(widget, recorder):
    sent = response_of(recorder, request(widget, "send", {"text": "from the panel"}))["message"]
    assert sent["text"] == "from the panel"
    assert sent["userId"] == widget.self_info["user_id"]
    Watch(widget).wait_for(lambda ms: [m.id for m in ms] == [sent["id"]])

    edited = response_of(recorder, request(widget, "edit", {"messageId": sent["id"], "text": "changed"}))
    assert (edited["message"]["text"], edited["message"]["edited"]) == ("changed", True)
    assert (
        response_of(recorder, request(widget, "pin", {"messageId": sent["id"]}))["message"]["pinned"] is True
    )
    Watch(widget, "pinned").wait_for(lambda ms: [m.id for m in ms] == [sent["id"]])
    assert (
        response_of(recorder, request(widget, "unpin", {"messageId": sent["id"]}))["message"]["pinned"]
        is False
    )
    assert response_of(recorder, request(widget, "delete", {"messageId": sent["id"]})) == {}
    Watch(widget).wait_for(lambda ms: ms == [])


def test_private_send_from_the_panel(widget, recorder, bob):
    sent = response_of(recorder, request(widget, "send", {"text": "psst", "to": [bob.self.user_id]}))[
        "message"
    ]
    assert sent["targetUserIds"]


@pytest.mark.parametrize(
    ("msg", "code"),
    [
        ({"text": "   "}, "empty"),
        ({"text": "x" * 2001}, "text_too_long"),
        ({"text": 42}, "invalid"),
        ({}, "invalid"),
        ({"text": "hi", "to": "bob"}, "invalid"),
        ({"text": "hi", "to": ["nobody"]}, "not_found"),
        ({"uploadId": "never-uploaded", "as": "file"}, "invalid"),
    ],
)
def test_send_errors_are_typed(widget, recorder, msg, code):
    assert error_of(recorder, request(widget, "send", msg))["code"] == code
    assert widget.messages == []


def test_unknown_message_is_not_found(widget, recorder):
    for kind in ("edit", "pin", "unpin", "delete"):
        msg = (
            {"messageId": "no-such-message", "text": "x"}
            if kind == "edit"
            else {"messageId": "no-such-message"}
        )
        assert error_of(recorder, request(widget, kind, msg))["code"] == "not_found", kind


def upload(
    widget: ChatWidget, recorder: Recorder, upload_id: str, name: str, mime: str, data: bytes, chunk: int = 7
) -> None:
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    for index, piece in enumerate(pieces):
        msg = {
            "uploadId": upload_id,
            "index": index,
            "last": index == len(pieces) - 1,
            "name": name,
            "mime": mime,
            "size": len(data),
        }
        received = response_of(recorder, request(widget, "upload-chunk", msg, [piece]))["received"]
        assert received == sum(len(p) for p in pieces[: index + 1])


def test_chunked_upload_sent_as_image_and_as_file(widget, recorder):
    image = png()
    upload(widget, recorder, "up-image", "dots.png", "image/png", image)
    sent = response_of(recorder, request(widget, "send", {"uploadId": "up-image", "as": "image"}))["message"]
    assert sent["type"] == "image"
    upload(widget, recorder, "up-file", "notes.txt", "text/plain", b"line one\nline two\n")
    sent_file = response_of(recorder, request(widget, "send", {"uploadId": "up-file", "as": "file"}))[
        "message"
    ]
    assert (sent_file["type"], sent_file["name"], sent_file["size"]) == ("file", "notes.txt", 18)

    media_id = request(widget, "media", {"link": sent["link"]})
    media, buffers = recorder.wait(lambda c: c.get("id") == media_id)
    assert media["response"]["mime"] == "image/png"
    assert bytes(buffers[0]) == image


def test_upload_over_the_limit_is_refused(widget, recorder):
    widget._handlers.uploads.max_bytes = 10
    msg = {
        "uploadId": "big",
        "index": 0,
        "last": True,
        "name": "big.bin",
        "mime": "application/octet-stream",
        "size": 11,
    }
    error = error_of(recorder, request(widget, "upload-chunk", msg, [b"x" * 11]))
    assert error["code"] == "upload_refused"
    assert "limit is 10 bytes" in error["message"]


def test_upload_chunk_needs_exactly_one_buffer(widget, recorder):
    msg = {"uploadId": "u", "index": 0, "last": True, "name": "a", "mime": "x/y", "size": 1}
    assert error_of(recorder, request(widget, "upload-chunk", msg))["code"] == "invalid"


def test_an_image_that_is_not_an_image_is_refused(widget, recorder):
    upload(widget, recorder, "fake", "evil.png", "image/png", b"<svg onload=alert(1)>")
    assert (
        error_of(recorder, request(widget, "send", {"uploadId": "fake", "as": "image"}))["code"]
        == "upload_refused"
    )


def test_media_only_serves_links_of_messages_in_the_chat(widget, recorder):
    error = error_of(recorder, request(widget, "media", {"link": "http://127.0.0.1:1/anything"}))
    assert error["code"] == "not_found"
    image = widget.send_image(png(), name="dots.png")
    media_id = request(widget, "media", {"link": image.link})
    _, buffers = recorder.wait(lambda c: c.get("id") == media_id)
    assert bytes(buffers[0]) == png()
    widget.delete(image.id)
    assert error_of(recorder, request(widget, "media", {"link": image.link}))["code"] == "not_found"


def test_foreign_and_malformed_messages_get_no_reply(widget, recorder):
    deliver(widget, {"kind": "something-else", "id": "x1", "msg": {}})
    deliver(widget, {"kind": "page", "id": 7, "msg": {}})
    deliver(widget, {"kind": "page", "id": "x2", "msg": "nope"})
    deliver(widget, ["not", "a", "dict"])
    deliver(widget, {"kind": "cancel", "msg": {"targetId": "unknown"}})
    request(widget, "page", {"before": None, "limit": 1})
    replies = [c for c, _ in recorder.sent if c.get("kind", "").endswith("-response")]
    assert [r["id"] for r in replies] == [replies[-1]["id"]]


def test_participant_without_pin_permission_gets_forbidden(bob):
    recorder = Recorder()
    chat = ChatWidget(bob)
    chat.send = recorder  # type: ignore[method-assign]
    try:
        message = chat.send_text("pin me")
        assert chat.self_info["permissions"]["can_pin"] is False
        assert error_of(recorder, request(chat, "pin", {"messageId": message.id}))["code"] == "forbidden"
    finally:
        chat.close()


def test_client_exceptions_map_to_protocol_codes():
    assert error_payload(RateLimitedError("slow down", retry_after=1.5)) == {
        "code": "rate_limited",
        "message": "slow down",
        "retryAfterMs": 1500,
    }
    assert error_payload(TextTooLongError("long"))["code"] == "text_too_long"
    assert error_payload(PermissionDeniedError("no"))["code"] == "forbidden"
    assert error_payload(ConnectionLostError("gone"))["code"] == "disconnected"
    assert error_payload(TimeoutError())["code"] == "timeout"
    assert error_payload(KeyError("boom")) == {"code": "internal", "message": "KeyError: 'boom'"}


def test_ping_is_answered_at_once(widget, recorder):
    request_id = request(widget, "ping", {})
    reply = recorder.reply(request_id, timeout=1)
    assert reply == {"kind": "ping-response", "id": request_id, "response": {}}


def test_height_takes_pixels_or_a_css_length(ada, widget):
    assert widget.height == "480px"
    for given, kept in ((600, 600), (" 60vh", "60vh"), ("30.5em", "30.5em")):
        sized = ChatWidget(ada, height=given)
        assert sized.height == kept
        sized.close()
    for bad in ("60", "1px; color: red", 50, True, 1.5):
        with pytest.raises((ValueError, TypeError, traitlets.TraitError), match="height"):
            ChatWidget(ada, height=bad)


def test_connection_detail_follows_the_meeting(widget, ada):
    connected = {"state": "connected", "attempt": 0, "next_attempt_at": None, "reason": None}
    assert widget.connection_detail == connected
    states = Watch(widget, "connection_detail")
    ada.drop_connection()
    states.wait_for(lambda detail: detail["state"] == "connected" and len(states.changes) >= 2)
    assert states.changes[0]["state"] == "reconnecting"
    assert all(set(change) == {"state", "attempt", "next_attempt_at", "reason"} for change in states.changes)
