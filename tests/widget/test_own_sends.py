"""A panel send's delta carries the send's ``localId``, so the panel never shows it twice."""

from __future__ import annotations

from typing import Any

from rtk_widget.widget._own_sends import ExpectedMessage, OwnSends
from rtk_widget.widget._protocol import WireMessage

from .support import Recorder, Watch, png, request
from .test_handlers import error_of, response_of, upload


def upserts(recorder: Recorder) -> list[WireMessage]:
    return [d["message"] for push in recorder.pushes("deltas") for d in push["items"] if d["op"] == "upsert"]


def delta_for(recorder: Recorder, message_id: str) -> WireMessage:
    recorder.wait(
        lambda c: (
            c.get("kind") == "deltas"
            and any(d["op"] == "upsert" and d["message"]["id"] == message_id for d in c["items"])
        )
    )
    return next(m for m in upserts(recorder) if m["id"] == message_id)


def test_the_delta_of_a_panel_send_carries_its_local_id(widget, recorder):
    sent = response_of(recorder, request(widget, "send", {"text": "hello", "localId": "local-a"}))["message"]
    assert delta_for(recorder, sent["id"])["localId"] == "local-a"


def test_concurrent_identical_sends_each_get_their_own_local_id(widget, recorder):
    ids = {request(widget, "send", {"text": "same", "localId": f"local-{n}"}): f"local-{n}" for n in range(6)}
    acked = {response_of(recorder, request_id)["message"]["id"]: local for request_id, local in ids.items()}
    assert len(acked) == 6
    for message_id, local_id in acked.items():
        assert delta_for(recorder, message_id)["localId"] == local_id


def test_attachments_carry_their_local_id(widget, recorder):
    upload(widget, recorder, "up-image", "dots.png", "image/png", png())
    image = response_of(
        recorder, request(widget, "send", {"uploadId": "up-image", "as": "image", "localId": "local-img"})
    )["message"]
    upload(widget, recorder, "up-file", "notes.txt", "text/plain", b"notes\n")
    file = response_of(
        recorder, request(widget, "send", {"uploadId": "up-file", "as": "file", "localId": "local-file"})
    )["message"]
    assert delta_for(recorder, image["id"])["localId"] == "local-img"
    assert delta_for(recorder, file["id"])["localId"] == "local-file"


def test_messages_not_sent_by_the_panel_carry_no_local_id(widget, recorder, bob):
    # A failed panel send must not leave an expectation that a later identical message would claim.
    assert (
        error_of(recorder, request(widget, "send", {"text": "twin", "to": ["nobody"], "localId": "x"}))[
            "code"
        ]
        == "not_found"
    )
    from_cell = widget.send_text("twin")
    bob.chat.send_text_message("twin")
    Watch(widget).wait_for(lambda ms: len(ms) == 2)
    assert "localId" not in delta_for(recorder, from_cell.id)
    recorder.wait(
        lambda c: (
            c.get("kind") == "deltas"
            and any(d["message"]["userId"] == bob.self.user_id for d in c["items"] if d["op"] == "upsert")
        )
    )
    assert all("localId" not in m for m in upserts(recorder))


def test_bad_local_ids_are_refused_and_nothing_is_sent(widget, recorder):
    assert error_of(recorder, request(widget, "send", {"text": "hi", "localId": 7}))["code"] == "invalid"
    assert error_of(recorder, request(widget, "send", {"text": "hi", "localId": ""}))["code"] == "invalid"
    assert (
        error_of(recorder, request(widget, "send", {"text": "hi", "localId": "x" * 129}))["code"] == "invalid"
    )
    assert widget.messages == []


def wire(message_id: str, text: str, type_: Any = "text") -> WireMessage:
    return {
        "id": message_id,
        "type": type_,
        "userId": "u",
        "displayName": "U",
        "time": 1,
        "order": 1,
        "edited": False,
        "pinned": False,
        "targetUserIds": [],
        "text": text,
    }


def test_own_sends_match_in_order_and_prefer_the_ack():
    sends = OwnSends()
    sends.expect("a", ExpectedMessage("text", text="same"))
    sends.expect("b", ExpectedMessage("text", text="same"))
    sends.acked_before_event("b", "m2")
    assert sends.claim(wire("m2", "same")) == "b"
    assert sends.claim(wire("m1", "same")) == "a"
    assert sends.claim(wire("m3", "same")) is None


def test_own_sends_ignore_other_content_and_forgotten_sends():
    sends = OwnSends()
    sends.expect("a", ExpectedMessage("text", text="one"))
    sends.expect("f", ExpectedMessage("file", name="notes.txt"))
    assert sends.claim(wire("m1", "two")) is None
    assert sends.claim(wire("m2", "one", "image")) is None
    sends.forget("a")
    assert sends.claim(wire("m3", "one")) is None
    assert sends.claim({**wire("m4", ""), "type": "file", "name": "notes.txt"}) == "f"
