"""Every chat method of the guide, against the embedded server, through the blocking API."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import httpx

from rtk_widget.client import FileMessage, ImageMessage, TextMessage
from rtk_widget.server.store import messages as mq

from .helpers import Recorder, wait_until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
GIF = b"GIF89a" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)


def test_send_text_reaches_every_participant_once_with_the_guides_payloads(trio):
    ada, bob, cara = trio
    updates = {m: Recorder(m.chat, "chatUpdate") for m in (bob, cara)}
    news = {m: Recorder(m.chat, "newMessage") for m in (bob, cara)}
    sent = ada.chat.send_text_message("Is this the real life?")
    assert isinstance(sent, TextMessage)
    assert (sent.message, sent.text, sent.type) == ("Is this the real life?",) * 2 + ("text",)
    assert sent.user_id == ada.self.user_id
    assert sent.display_name == "Ada"
    assert sent.peer_id == ada.self.id
    assert sent.seq == 1
    assert sent.rev is not None
    assert sent.time.tzinfo is not None
    for meeting in (bob, cara):
        event = updates[meeting].wait_for(1)[0]
        assert event.action == "add"
        assert event["message"] == sent
        assert event.messages == [sent] == meeting.chat.messages
        assert news[meeting].wait_for(1) == [sent]
    wait_until(ada.chat, "chatUpdate", lambda: ada.chat.messages == [sent])
    # Once: a later message is the only other event.
    second = bob.chat.send_text_message("Is this just fantasy?")
    assert [e.message for e in updates[cara].wait_for(2)] == [sent, second]
    assert [m.id for m in cara.chat.messages] == [sent.id, second.id]


def test_private_messages_reach_only_their_targets(trio):
    ada, bob, cara = trio
    private = ada.chat.send_text_message("for Bob only", peer_ids=[bob.self.id])
    assert set(private.target_user_ids) == {bob.self.user_id, ada.self.user_id}
    assert private.is_private
    public = ada.chat.send_text_message("for everyone")
    wait_until(cara.chat, "chatUpdate", lambda: public in cara.chat.messages)
    wait_until(bob.chat, "chatUpdate", lambda: len(bob.chat.messages) == 2)
    assert [m.id for m in bob.chat.messages] == [private.id, public.id]
    assert [m.id for m in cara.chat.messages] == [public.id]
    page = ada.chat.fetch_private_messages(user_id=bob.self.user_id, timestamp=0)
    assert [m.id for m in page] == [private.id]
    assert private.id not in [m.id for m in cara.chat.fetch_public_messages(timestamp=0, limit=50)]
    assert cara.chat.fetch_private_messages(user_id=ada.self.user_id, timestamp=0).messages == []
    # Participants work as targets too, and only Cara's own copy reaches Ada and Cara.
    to_ada = [p for p in cara.participants.joined if p.name == "Ada"]
    reply = cara.chat.send_text_message("hi Ada", peer_ids=to_ada)
    wait_until(ada.chat, "chatUpdate", lambda: reply.id in [m.id for m in ada.chat.messages])
    assert reply.id not in [m.id for m in bob.chat.messages]


def test_edit_and_delete_raise_chat_updates_everywhere(trio):
    ada, bob, _ = trio
    updates = Recorder(bob.chat, "chatUpdate")
    sent = ada.chat.send_text_message("draft")
    edited = ada.chat.edit_text_message(sent.id, "final")
    assert edited.id == sent.id
    assert edited.text == "final"
    assert edited.is_edited
    via_dict = ada.chat.edit_message(sent.id, {"type": "text", "message": "final!"})
    assert via_dict.text == "final!"
    ada.chat.delete_message(sent.id)
    events = updates.wait_for(4)
    assert [e.action for e in events] == ["add", "edit", "edit", "delete"]
    assert [getattr(e.message, "text", None) for e in events] == ["draft", "final", "final!", "final!"]
    assert bob.chat.messages == []
    assert ada.chat.messages == []


def test_pin_and_unpin(trio):
    ada, bob, cara = trio
    pins, unpins = Recorder(cara.chat, "pinMessage"), Recorder(cara.chat, "unpinMessage")
    first = ada.chat.send_text_message("pin me")
    ada.chat.send_text_message("not me")
    pinned = bob.chat.pin(first.id)
    assert pinned.pinned
    assert pinned.id == first.id
    assert [e.message.id for e in pins.wait_for(1)] == [first.id]
    assert pins.payloads[0]["message"].pinned
    wait_until(ada.chat, "pinMessage", lambda: [m.id for m in ada.chat.pinned] == [first.id])
    assert [m.id for m in cara.chat.fetch_pinned_messages(timestamp=0)] == [first.id]
    unpinned = bob.chat.unpin(first.id)
    assert not unpinned.pinned
    assert [e.message.id for e in unpins.wait_for(1)] == [first.id]
    assert cara.chat.pinned == []


def test_images_and_files_from_paths_bytes_and_file_objects(trio, tmp_path):
    ada, bob, _ = trio
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    image = ada.chat.send_image_message(path)
    assert isinstance(image, ImageMessage)
    assert image.link.startswith("http://127.0.0.1")
    assert httpx.get(image.link).content == PNG
    gif = ada.chat.send_image_message(GIF, name="anim.gif")
    assert httpx.get(gif.link).headers["content-type"].startswith("image/gif")
    report = ada.chat.send_file_message(io.BytesIO(b"col\n1\n"), name="data.csv")
    assert isinstance(report, FileMessage)
    assert (report.name, report.size) == ("data.csv", 6)
    assert httpx.get(report.link).content == b"col\n1\n"
    by_dict = ada.chat.send_message({"type": "file", "file": ("notes.txt", b"hello")})
    assert isinstance(by_dict, FileMessage)
    assert by_dict.name == "notes.txt"
    by_dict_image = ada.chat.send_message({"type": "image", "image": JPEG, "name": "p.jpg"})
    assert isinstance(by_dict_image, ImageMessage)
    text = ada.chat.send_message({"type": "text", "message": "plain"})
    assert isinstance(text, TextMessage)
    swapped = ada.chat.edit_image_message(image.id, GIF, name="new.gif")
    assert swapped.link != image.link
    assert httpx.get(swapped.link).content == GIF
    refiled = ada.chat.edit_file_message(report.id, ("v2.csv", b"col\n2\n"))
    assert (refiled.name, refiled.size) == ("v2.csv", 6)
    refiled2 = ada.chat.edit_message(report.id, {"type": "file", "file": ("v3.csv", b"x")})
    assert isinstance(refiled2, FileMessage)
    assert refiled2.name == "v3.csv"
    wait_until(bob.chat, "chatUpdate", lambda: bob.chat.messages == ada.chat.messages)
    assert [m.type for m in bob.chat.get_messages_by_type("image")] == ["image"] * 3
    assert [m.id for m in bob.chat.get_messages_by_type("file")] == [report.id, by_dict.id]
    assert len(bob.chat.get_messages_by_user(ada.self.user_id)) == 6
    assert bob.chat.get_messages_by_user(bob.self.user_id) == []


def test_fetch_pages_follow_the_sdk_directions(trio):
    ada, bob, _ = trio
    sent = [ada.chat.send_text_message(f"m{i}") for i in range(5)]
    newest_first = bob.chat.fetch_public_messages(timestamp=sent[-1].time + timedelta(seconds=1), limit=2,
                                                  direction="before")
    assert [m.text for m in newest_first] == ["m4", "m3"]
    assert newest_first.next
    oldest_first = bob.chat.fetch_public_messages(timestamp=sent[0].time_ms, limit=3, direction="after")
    assert [m.text for m in oldest_first] == ["m0", "m1", "m2"]
    assert oldest_first.has_more
    everything = bob.chat.fetch_public_messages(timestamp=sent[0].time_ms, limit=10)
    assert [m.id for m in everything] == [m.id for m in sent]
    assert not everything.next


def test_the_newest_messages_are_found_even_when_stamped_ahead_of_the_clock(trio, monkeypatch):
    # A burst of sends within one millisecond is stamped a few milliseconds ahead of the clock
    # (message times strictly increase); here the server's clock runs ahead to make that certain.
    ada, bob, _ = trio
    ahead = int(time.time() * 1000) + 5_000
    monkeypatch.setattr(mq, "now_ms", lambda: ahead)
    sent = [ada.chat.send_text_message(f"burst {i}").id for i in range(3)]
    assert [m.id for m in bob.chat.search_messages("burst")] == sent[::-1]
    assert [m.id for m in bob.chat.fetch_public_messages(direction="before", limit=3)] == sent[::-1]


def test_search_messages(trio):
    ada, bob, _ = trio
    ada.chat.send_text_message("the quick brown fox")
    ada.chat.send_text_message("lazy dog")
    hit = ada.chat.send_text_message("another FOX appears")
    found = bob.chat.search_messages("fox")
    assert hit.id in [m.id for m in found]
    assert all("fox" in m.text.lower() for m in found)
    assert len(found) == 2
    assert bob.chat.search_messages("no such words") == []
