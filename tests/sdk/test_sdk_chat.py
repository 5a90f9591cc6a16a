"""Chat through the official @cloudflare/realtimekit 2.0.2 web SDK, unmodified, in headless Chromium.

Three SDK participants share one meeting for the module; each test uses fresh message texts,
so tests stay independent while sharing the (slow to start) participants.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.sdk.media import tiny_png
from tests.sdk.room import Room, recent, unique

pytestmark = [pytest.mark.sdk, pytest.mark.browser]


def test_text_message_reaches_everyone_including_the_sender(room: Room) -> None:
    text = unique("hello from alice")
    before_ms = int(time.time() * 1000)
    room.alice.call("sendText", text)
    seen = [sdk.added({"message": text}) for sdk in room.everyone]
    assert len({m["id"] for m in seen}) == 1
    message = seen[0]
    assert message["type"] == "text"
    assert message["userId"] == room.alice.user_id
    assert message["displayName"] == "Alice"
    assert message["targetUserIds"] == []
    assert message["pinned"] is False
    assert message["isEdited"] is False
    assert message["timeMs"] >= before_ms - 5_000  # a real clock reading, not a constant
    assert message["time"] // 1000 == message["timeMs"] // 1000


def test_image_message_uploads_and_the_image_loads(room: Room) -> None:
    png = tiny_png(3, 2, (200, 30, 90))
    room.bob.call("sendImage", list(png), "dot.png", "image/png")
    message = room.alice.added({"type": "image", "userId": room.bob.user_id})
    assert room.carol.added({"id": message["id"]})["link"] == message["link"]
    assert message["link"].startswith(f"https://api.{room.server.base_uri}/")
    loaded = room.carol.evaluate("loadImage", message["link"])
    assert loaded == {"ok": True, "width": 3, "height": 2}
    assert room.server.download(message["link"]) == png


def test_file_message_carries_name_size_and_bytes(room: Room) -> None:
    body = f"notes {uuid.uuid4()}\n".encode() * 40
    room.carol.call("sendFile", list(body), "notes.txt", "text/plain")
    message = room.bob.added({"type": "file", "userId": room.carol.user_id})
    assert message["name"] == "notes.txt"
    assert message["size"] == len(body)
    assert room.server.download(message["link"]) == body
    room.alice.added({"id": message["id"]})


def test_unicode_and_markup_arrive_verbatim(room: Room) -> None:
    text = f"héllo 👋🏽 שלום <script>alert(1)</script> &amp; {uuid.uuid4().hex[:6]}\nsecond line"
    room.bob.call("sendText", text)
    assert room.carol.added({"message": text})["userId"] == room.bob.user_id


def test_big_file_with_a_unicode_name_round_trips(room: Room) -> None:
    size = 2 * 1024 * 1024 + 7
    name = f"résumé final {uuid.uuid4().hex[:4]}.bin"
    room.alice.call("sendGeneratedFile", size, name, "application/octet-stream")
    message = room.bob.added({"type": "file", "name": name})
    assert message["size"] == size
    assert room.server.download(message["link"]) == bytes((i * 31) % 251 for i in range(size))


def test_custom_message_carries_its_payload(room: Room) -> None:
    text = unique("custom")
    room.carol.call("sendCustom", {"type": "custom", "message": text, "html": "<b>bold</b>"})
    message = room.alice.added({"type": "custom", "message": text})
    assert message["html"] == "<b>bold</b>"
    assert message["userId"] == room.carol.user_id


def test_private_message_reaches_only_its_target_and_sender(room: Room) -> None:
    secret = unique("psst bob")
    bob_peer = room.alice.wait_peer(room.bob.user_id)
    room.alice.call("sendText", secret, [bob_peer])
    at_bob = room.bob.added({"message": secret})
    at_alice = room.alice.added({"message": secret})
    assert at_bob["id"] == at_alice["id"]
    assert sorted(at_bob["targetUserIds"]) == sorted([room.alice.user_id, room.bob.user_id])
    # The server keeps per-socket order: once carol has the later public marker, the
    # private message would have reached her before it if it had been sent to her.
    marker = unique("public marker")
    room.alice.call("sendText", marker)
    room.carol.added({"message": marker})
    assert room.carol.count_events("chatUpdate", {"message.message": secret}) == 0


def test_edit_pin_unpin_and_delete_are_seen_by_others(room: Room) -> None:
    text = unique("draft")
    room.alice.call("sendText", text)
    message_id = room.bob.added({"message": text})["id"]

    edited = unique("final")
    room.alice.call("editText", message_id, edited)
    update = room.bob.wait_event("chatUpdate", {"action": "edit", "message.id": message_id})
    assert update["message"]["message"] == edited
    assert update["message"]["isEdited"] is True

    room.alice.call("pin", message_id)
    pinned = room.bob.wait_event("pinMessage", {"message.id": message_id})
    assert pinned["message"]["pinned"] is True
    assert pinned["message"]["message"] == edited
    room.carol.wait_event("chatUpdate", {"action": "edit", "message.id": message_id, "message.pinned": True})

    room.alice.call("unpin", message_id)
    unpinned = room.bob.wait_event("unpinMessage", {"message.id": message_id})
    assert unpinned["message"]["pinned"] is False

    room.alice.call("remove", message_id)
    for sdk in (room.bob, room.carol):
        sdk.wait_event("chatUpdate", {"action": "delete", "message.id": message_id})
    later = room.bob.call("fetchPublic", recent(100))
    assert message_id not in {m["id"] for m in later}


def test_viewer_may_not_pin(room: Room) -> None:
    text = unique("not yours to pin")
    room.alice.call("sendText", text)
    message_id = room.bob.added({"message": text})["id"]
    refused = room.bob.attempt("pin", message_id)
    assert refused["ok"] is False
    assert refused["error"]["code"] == "0504"  # the SDK reports any pin failure as 0504
    pinned = room.alice.call("fetchPinned", recent(100))
    assert message_id not in {m["id"] for m in pinned}


def test_fetch_public_private_and_pinned_messages(room: Room) -> None:
    tag = uuid.uuid4().hex[:8]
    public = [f"page {tag} {i}" for i in range(4)]
    for text in public:
        room.bob.call("sendText", text)
    ids = [room.alice.added({"message": text})["id"] for text in public]
    secret = f"private {tag}"
    room.bob.call("sendText", secret, [room.bob.wait_peer(room.alice.user_id)])
    secret_id = room.alice.added({"message": secret})["id"]
    room.alice.call("pin", ids[1])
    room.bob.wait_event("pinMessage", {"message.id": ids[1]})

    options = recent(200)
    fetched = room.carol.call("fetchPublic", options)
    fetched_ids = [m["id"] for m in fetched]
    assert set(ids) <= set(fetched_ids)
    assert secret_id not in fetched_ids
    texts = {m["id"]: m["message"] for m in fetched}
    assert [texts[i] for i in ids] == public

    newest = room.carol.call("fetchPublic", {**options, "limit": 2})
    assert {m["id"] for m in newest} == {ids[2], ids[3]}  # "before" pages end at the newest

    between = room.alice.call("fetchPrivate", {**options, "userId": room.bob.user_id})
    assert [m["message"] for m in between if m["id"] == secret_id] == [secret]
    assert all(m["targetUserIds"] for m in between)
    outsider = room.carol.call("fetchPrivate", {**options, "userId": room.bob.user_id})
    assert secret_id not in {m["id"] for m in outsider}

    pinned = room.carol.call("fetchPinned", options)
    assert ids[1] in {m["id"] for m in pinned}
    assert all(m["pinned"] for m in pinned)
    assert not {ids[0], ids[2], ids[3]} & {m["id"] for m in pinned}


def test_text_length_limit_on_both_sides(room: Room) -> None:
    refused = room.alice.attempt("sendText", "x" * 2001)
    assert refused["ok"] is False
    assert refused["error"]["code"] == "0503"

    longest = "y" * 1999 + uuid.uuid4().hex[:1]
    room.alice.call("sendText", longest)
    assert room.bob.added({"message": longest})["userId"] == room.alice.user_id

    # Both sides count UTF-16 code units: 1000 emoji are exactly 2000, so they pass...
    emoji = "😀" * 999 + "🙂"
    room.alice.call("sendText", emoji)
    room.bob.added({"message": emoji})
    # ...and one more is over the SDK's limit.
    assert room.alice.attempt("sendText", emoji + "😀")["error"]["code"] == "0503"

    # Past the SDK's own check (raised to 5000), the server enforces its 2000-character limit:
    # the message is stored nowhere and reaches nobody.
    room.alice.page.evaluate("() => meeting.chat.setMaxTextLimit(5000)")
    too_long = "z" * 2001 + uuid.uuid4().hex
    room.alice.call("sendText", too_long)
    marker = unique("after the long one")
    room.alice.call("sendText", marker)
    for sdk in room.everyone:
        sdk.added({"message": marker})
        assert sdk.count_events("chatUpdate", {"message.message": too_long}) == 0
    room.alice.page.evaluate("() => meeting.chat.setMaxTextLimit(2000)")
