"""The Python client and the official SDK (in Chromium) in one meeting on our server.

Whatever one side does (text, images, files, private messages, edits, pins, deletes), the
other sees, through the same server: our protocol is the SDK's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rtk_widget.client import Meeting
from tests.sdk.media import tiny_png
from tests.sdk.participant import OpenPage, SdkParticipant
from tests.sdk.python_peer import ChatLog, text_is
from tests.sdk.room import join, unique
from tests.sdk.server_thread import ServerThread

pytestmark = [pytest.mark.sdk, pytest.mark.browser]


@dataclass
class Mixed:
    """One meeting: ``sdk`` in Chromium, ``py`` and ``outsider`` on the Python client."""

    server: ServerThread
    sdk: SdkParticipant
    py: Meeting
    py_log: ChatLog
    outsider: Meeting
    outsider_log: ChatLog


def python_participant(server: ServerThread, meeting_id: str, user: str, preset: str, cert: Path) -> Meeting:
    """A Python client participant (not joined yet) of ``meeting_id`` on ``server`` over HTTPS/WSS.

    It uses the SDK's host name, https://api.rtk.localhost:<port> (the client dials *.localhost at
    127.0.0.1 itself), and trusts the tests' self-signed certificate through ``verify``.
    """
    token = server.add_participant(meeting_id, name=user.title(), preset=preset, user=user)["token"]
    return Meeting(token, base_url=f"https://api.{server.base_uri}", verify=cert)


@pytest.fixture(scope="module")
def mixed(sdk_server: ServerThread, open_sdk_page: OpenPage,
          tls_pair: tuple[Path, Path]) -> Iterator[Mixed]:
    meeting_id = sdk_server.create_meeting("Python and SDK")["id"]
    sdk = join(sdk_server, open_sdk_page, meeting_id, "sam", "livestream_host")

    py = python_participant(sdk_server, meeting_id, "py", "group_call_host", tls_pair[0])
    outsider = python_participant(sdk_server, meeting_id, "outsider", "group_call_participant", tls_pair[0])
    logs = (ChatLog(py), ChatLog(outsider))
    try:
        for meeting in (py, outsider):
            meeting.join()
            sdk.wait_peer(meeting.self.user_id)
        yield Mixed(sdk_server, sdk, py, logs[0], outsider, logs[1])
    finally:
        for meeting in (py, outsider):
            meeting.leave()


def test_text_both_ways(mixed: Mixed) -> None:
    from_py = unique("hello from python")
    sent = mixed.py.chat.send_text_message(from_py)
    at_sdk = mixed.sdk.added({"message": from_py})
    assert at_sdk["id"] == sent.id
    assert at_sdk["userId"] == mixed.py.self.user_id
    assert at_sdk["displayName"] == "Py"
    assert at_sdk["timeMs"] == sent.time_ms

    from_sdk = unique("hello from the sdk")
    mixed.sdk.call("sendText", from_sdk)
    at_py = mixed.py_log.added(text_is(from_sdk))
    assert at_py.user_id == mixed.sdk.user_id
    assert at_py.display_name == "Sam"
    assert at_py.id == mixed.sdk.added({"message": from_sdk})["id"]


def test_images_and_files_both_ways(mixed: Mixed) -> None:
    png = tiny_png(4, 3, (10, 120, 240))
    image = mixed.py.chat.send_image_message(png, name="python.png")
    at_sdk = mixed.sdk.added({"id": image.id})
    assert at_sdk["type"] == "image"
    assert at_sdk["link"] == image.link
    assert mixed.sdk.evaluate("loadImage", at_sdk["link"]) == {"ok": True, "width": 4, "height": 3}

    body = f"from the browser {uuid.uuid4()}\n".encode() * 30
    mixed.sdk.call("sendFile", list(body), "browser.txt", "text/plain")
    file = mixed.py_log.added(lambda m: m.type == "file" and m.user_id == mixed.sdk.user_id
                              and m.name == "browser.txt")
    assert file.size == len(body)
    assert mixed.server.download(file.link) == body

    sdk_png = tiny_png(2, 5, (250, 250, 0))
    mixed.sdk.call("sendImage", list(sdk_png), "sdk.png", "image/png")
    sdk_image = mixed.py_log.added(lambda m: m.type == "image" and m.user_id == mixed.sdk.user_id)
    assert mixed.server.download(sdk_image.link) == sdk_png

    py_file = mixed.py.chat.send_file_message(b"csv,data\n1,2\n", name="table.csv")
    at_sdk_file = mixed.sdk.added({"id": py_file.id})
    assert (at_sdk_file["type"], at_sdk_file["name"], at_sdk_file["size"]) == ("file", "table.csv", 13)


def test_private_messages_both_ways(mixed: Mixed) -> None:
    to_sdk = unique("python to sdk only")
    mixed.py.chat.send_text_message(to_sdk, [mixed.sdk.self_info["peerId"]])
    at_sdk = mixed.sdk.added({"message": to_sdk})
    assert sorted(at_sdk["targetUserIds"]) == sorted([mixed.py.self.user_id, mixed.sdk.user_id])

    to_py = unique("sdk to python only")
    mixed.sdk.call("sendText", to_py, [mixed.sdk.wait_peer(mixed.py.self.user_id)])
    at_py = mixed.py_log.added(text_is(to_py))
    assert at_py.is_private
    assert set(at_py.target_user_ids) == {mixed.py.self.user_id, mixed.sdk.user_id}

    # Per-socket order: once the outsider has the later public marker, it would already
    # hold either private message had the server sent it there.
    marker = unique("public marker")
    mixed.sdk.call("sendText", marker)
    mixed.outsider_log.added(text_is(marker))
    assert mixed.outsider_log.count(lambda m: getattr(m, "message", None) in (to_sdk, to_py)) == 0


def test_edits_pins_and_deletes_cross_over(mixed: Mixed) -> None:
    # Python's own message: edited and deleted in Python, seen by the SDK.
    mine = mixed.py.chat.send_text_message(unique("python draft"))
    mixed.sdk.added({"id": mine.id})
    mixed.py.chat.edit_text_message(mine.id, "python final")
    edit = mixed.sdk.wait_event("chatUpdate", {"action": "edit", "message.id": mine.id})
    assert (edit["message"]["message"], edit["message"]["isEdited"]) == ("python final", True)

    # The SDK's message: edited in the browser, pinned from Python, unpinned in the browser.
    text = unique("sdk draft")
    mixed.sdk.call("sendText", text)
    theirs = mixed.py_log.added(text_is(text))
    mixed.sdk.call("editText", theirs.id, "sdk final")
    edited = mixed.py_log.wait("chatUpdate", lambda ev: ev.action == "edit" and ev.message.id == theirs.id)
    assert edited.message.message == "sdk final"
    assert edited.message.is_edited

    mixed.py.chat.pin(theirs.id)
    pinned = mixed.sdk.wait_event("pinMessage", {"message.id": theirs.id})
    assert pinned["message"]["pinned"] is True
    mixed.sdk.call("unpin", theirs.id)
    unpinned = mixed.py_log.wait("unpinMessage", lambda ev: ev.message.id == theirs.id)
    assert unpinned.message.pinned is False

    # Deletes both ways.
    mixed.sdk.call("remove", theirs.id)
    mixed.py_log.wait("chatUpdate", lambda ev: ev.action == "delete" and ev.message.id == theirs.id)
    assert theirs.id not in {m.id for m in mixed.py.chat.messages}
    mixed.py.chat.delete_message(mine.id)
    mixed.sdk.wait_event("chatUpdate", {"action": "delete", "message.id": mine.id})


def test_python_fetches_what_the_sdk_sent(mixed: Mixed) -> None:
    texts = [unique("sdk history") for _ in range(3)]
    for text in texts:
        mixed.sdk.call("sendText", text)
    for text in texts:
        mixed.py_log.added(text_is(text))
    page = mixed.py.chat.fetch_public_messages(limit=50, direction="before")
    fetched = [getattr(m, "message", None) for m in page.messages]
    assert set(texts) <= set(fetched)
