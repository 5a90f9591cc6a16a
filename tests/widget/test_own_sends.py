"""A panel send's delta carries the send's ``localId``, matched by the send's envelope id."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from rtk_widget import Meeting
from rtk_widget.client.chat_state import ChatUpdateEvent
from rtk_widget.client.local import local_server
from rtk_widget.client.runtime import get_runtime
from rtk_widget.widget import ChatWidget
from rtk_widget.widget._protocol import WireMessage
from rtk_widget.wire.events import Event
from rtk_widget.wire.socket_message_pb2 import SocketMessage
from tests.client.proxy import FaultProxy

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


def test_a_send_and_its_event_carry_the_envelope_id(ada, bob):
    events: list[ChatUpdateEvent] = []
    arrived = threading.Event()

    def record(event: ChatUpdateEvent) -> None:
        events.append(event)
        if len(events) == 3:
            arrived.set()

    ada.chat.on("chatUpdate", record)
    chosen = ada.chat.new_envelope_id()
    mine = ada.chat.send_text_message("same text", envelope_id=chosen)
    other = ada.chat.send_text_message("same text")
    theirs = bob.chat.send_text_message("same text")
    assert arrived.wait(10)
    assert mine.envelope_id == chosen
    assert other.envelope_id is not None
    assert other.envelope_id != chosen
    assert theirs.envelope_id is not None  # Bob's own send, as Bob's client returned it
    by_id = {event.message.id: event for event in events}
    assert by_id[mine.id].envelope_id == chosen
    assert by_id[other.id].envelope_id == other.envelope_id
    assert by_id[theirs.id].envelope_id is None  # not Ada's send
    edited = ada.chat.edit_text_message(mine.id, "edited")
    assert edited.envelope_id == chosen  # the store keeps it through edits


def _without_echoed_ids(payload: bytes) -> bytes:
    """RealtimeKit's push of a sent message carries no request id: drop it from chat sends."""
    envelope = SocketMessage()
    envelope.ParseFromString(payload)
    if envelope.event in (Event.SEND_MESSAGE_TO_ROOM, Event.SEND_MESSAGE_TO_PEERS):
        envelope.ClearField("id")
    return envelope.SerializeToString()


@pytest.fixture
def eve_without_echo(ada: Meeting) -> Iterator[Meeting]:
    """A participant whose server, like RealtimeKit, echoes no envelope id on its own sends."""
    runtime = get_runtime()
    server = runtime.run(local_server(runtime))
    proxy = FaultProxy(int(server.base_url.rsplit(":", 1)[1]))
    runtime.run(proxy.start())
    proxy.rewrite = _without_echoed_ids
    invitation = ada.invite("Eve")
    eve = Meeting(invitation.token, base_url=proxy.base_url)
    eve.join()
    eve.chat.state.sync_supported = False  # RealtimeKit has no SYNC_CHANGES either
    yield eve
    eve.leave()
    runtime.run(proxy.stop())


def test_without_echoed_ids_own_sends_are_matched_by_content_in_the_client(eve_without_echo: Meeting):
    eve = eve_without_echo
    recorder = Recorder()
    widget = ChatWidget(eve)
    widget.send = recorder  # type: ignore[method-assign]
    try:
        first = eve.chat.send_text_message("twice the same")
        second = eve.chat.send_text_message("twice the same")
        assert first.envelope_id is not None
        assert second.envelope_id not in (None, first.envelope_id)
        locals_ = [f"local-{n}" for n in range(3)]
        sends = {local: request(widget, "send", {"text": "same", "localId": local}) for local in locals_}
        acked = {response_of(recorder, sent)["message"]["id"]: local for local, sent in sends.items()}
        assert len(acked) == 3
        for message_id, local_id in acked.items():
            assert delta_for(recorder, message_id)["localId"] == local_id
    finally:
        widget.close()
