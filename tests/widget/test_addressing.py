"""``to=``: participants, user ids, peer ids or display names, alone or in a list, on a real meeting."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from rtk_widget import Meeting
from rtk_widget.client.participants import Participant
from rtk_widget.widget import ChatWidget

from .support import TIMEOUT, png


def wait_for_others(meeting: Meeting, count: int) -> list[Participant]:
    """Block until ``meeting`` sees ``count`` other participants (their joins arrive as events)."""
    changed = threading.Event()

    def on_change(_: object) -> None:
        changed.set()

    meeting.participants.on("participantJoined", on_change)
    try:
        while len(meeting.participants.joined) < count:
            assert changed.wait(TIMEOUT), f"only {meeting.participants.joined} joined"
            changed.clear()
        return meeting.participants.joined
    finally:
        meeting.participants.off("participantJoined", on_change)


@pytest.fixture
def carol(ada: Meeting) -> Iterator[Meeting]:
    meeting = Meeting.local(display_name="Carol", meeting=ada)
    yield meeting
    meeting.leave()


@pytest.fixture
def room(widget: ChatWidget, ada: Meeting, bob: Meeting, carol: Meeting) -> ChatWidget:
    wait_for_others(ada, 2)
    return widget


def audience(message: object) -> set[str]:
    return set(message.target_user_ids)  # type: ignore[attr-defined]


def test_a_display_name_alone_is_one_recipient(room, ada, bob):
    message = room.send_text("only for Bob", to="Bob")
    assert audience(message) == {bob.self.user_id, ada.self.user_id}


def test_a_user_id_alone_is_one_recipient_not_its_characters(room, ada, bob):
    message = room.send_text("by id", to=bob.self.user_id)
    assert audience(message) == {bob.self.user_id, ada.self.user_id}


def test_participants_peer_ids_and_names_mix_in_a_list_without_repeats(room, ada, bob, carol):
    bob_participant = next(p for p in ada.participants.joined if p.name == "Bob")
    message = room.send_text("both", to=[bob_participant, "Carol", bob.self.user_id, bob.peer_id])
    assert message.target_user_ids[:2] == (bob.self.user_id, carol.self.user_id)
    assert audience(message) == {bob.self.user_id, carol.self.user_id, ada.self.user_id}
    assert audience(room.send_text("a participant alone", to=bob_participant)) == {
        bob.self.user_id, ada.self.user_id}


def test_names_match_ignoring_case_when_nothing_matches_exactly(room, ada, carol):
    assert audience(room.send_text("loosely", to=" CAROL")) == {carol.self.user_id, ada.self.user_id}


def test_no_recipients_is_a_public_message(room):
    assert not room.send_text("to all", to=[]).is_private
    assert not room.send_text("to all", to=None).is_private


def test_images_and_files_take_the_same_recipients(room, ada, bob):
    assert audience(room.send_image(png(), to="Bob")) == {bob.self.user_id, ada.self.user_id}
    assert audience(room.send_file("x", name="x.txt", to=["Bob"])) == {bob.self.user_id, ada.self.user_id}


def test_an_unknown_name_lists_who_can_be_chosen(room, bob, carol):
    with pytest.raises(ValueError) as refused:
        room.send_text("hello?", to="Zed")
    text = str(refused.value)
    assert text.startswith(
        "ChatWidget.send_text(): nobody called 'Zed' (or with that user id) is in the meeting; choose from")
    assert f"'Bob' (user id {bob.self.user_id})" in text
    assert f"'Carol' (user id {carol.self.user_id})" in text
    assert room.messages == []


def test_an_ambiguous_name_lists_the_people_it_fits(ada, room):
    twin = Meeting.local(display_name="Bob", meeting=ada)
    try:
        wait_for_others(ada, 3)
        with pytest.raises(ValueError, match=r"ChatWidget.send_text\(\): 'Bob' is ambiguous") as refused:
            room.send_text("which Bob?", to="Bob")
        assert twin.self.user_id in str(refused.value)
        assert "pass a user id or a participant" in str(refused.value)
        chosen = room.send_text("this Bob", to=twin.self.user_id)
        assert audience(chosen) == {twin.self.user_id, ada.self.user_id}
    finally:
        twin.leave()


def test_naming_yourself_or_a_wrong_type_is_refused_before_sending(room, ada):
    for me in ("Ada", ada.self.user_id, ada.self):
        with pytest.raises(ValueError, match="to= names you"):
            room.send_text("me", to=me)
    with pytest.raises(TypeError, match=r"ChatWidget.send_text\(\): to= takes a participant.*got int"):
        room.send_text("x", to=42)
    with pytest.raises(TypeError, match="got bytes"):
        room.send_text("x", to=b"Bob")
    with pytest.raises(TypeError, match=r"to= takes participants, user ids or display names; got int 7"):
        room.send_text("x", to=["Bob", 7])
    with pytest.raises(ValueError, match=r"ChatWidget.send_file\(\): nobody called 'Zed'"):
        room.send_file("a,b", name="x.csv", to="Zed")
    assert room.messages == []


def test_a_participant_who_left_is_refused_with_the_current_choices(room, ada, carol):
    gone = next(p for p in ada.participants.joined if p.name == "Carol")
    left = threading.Event()
    ada.participants.on("participantLeft", lambda _: left.set())
    carol.leave()
    assert left.wait(TIMEOUT)
    with pytest.raises(ValueError, match=r"Carol \(.*\) is not in the meeting any more; choose from 'Bob'"):
        room.send_text("too late", to=gone)
