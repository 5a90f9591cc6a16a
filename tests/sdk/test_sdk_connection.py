"""Joining, keep-alive, leaving, late joiners, bad tokens and reconnection, as the official SDK does them.

The SDK (@cloudflare/realtimekit 2.0.2, unmodified, headless Chromium) joins livestream
presets, which need no media; its own behaviour is the judge of our server's protocol.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.sdk.conftest import start_tls_server
from tests.sdk.participant import OpenPage
from tests.sdk.room import Room, join, recent, unique
from tests.sdk.server_thread import ServerThread

pytestmark = [pytest.mark.sdk, pytest.mark.browser]


def test_sdk_joins_a_livestream_meeting_without_media(room: Room) -> None:
    for sdk, name in ((room.alice, "Alice"), (room.bob, "Bob"), (room.carol, "Carol")):
        assert sdk.self_info["roomJoined"] is True
        assert sdk.self_info["roomState"] == "joined"
        assert sdk.self_info["name"] == name
        # Off stage: the SDK joined no media room (an ON_STAGE reply would wait for WebRTC).
        assert sdk.page.evaluate("() => meeting.self.stageStatus") == "OFF_STAGE"
        assert len(sdk.sockets) == 1
    assert room.alice.self_info["presetName"] == "livestream_host"
    # Everyone lists the other two, and never themselves.
    for sdk in room.everyone:
        others = {p.user_id for p in room.everyone if p is not sdk}
        for user_id in others:
            sdk.wait_peer(user_id)
        assert sdk.user_id not in sdk.evaluate("joinedUserIds")


def test_sdk_answers_the_servers_pings_and_stays_connected(room: Room) -> None:
    socket = room.bob.sockets[0]
    socket.wait_for_event("framereceived", lambda frame: frame == "2", timeout=10_000)
    for _ in range(2):  # answered in two ping periods
        socket.wait_for_event("framesent", lambda frame: frame == "3", timeout=10_000)
    assert not socket.is_closed()
    assert len(room.bob.sockets) == 1  # no reconnect happened
    text = unique("still here")
    room.bob.call("sendText", text)
    room.alice.added({"message": text})


def test_closing_the_page_counts_as_leaving(room: Room, open_sdk_page: OpenPage) -> None:
    erin = join(room.server, open_sdk_page, room.meeting_id, "erin", "livestream_viewer")
    room.carol.wait_event("participantJoined", {"userId": erin.user_id})
    erin.page.close()  # no leave() call: the server notices the socket closing
    for sdk in room.everyone:
        sdk.wait_event("participantLeft", {"userId": erin.user_id})
        assert erin.user_id not in sdk.evaluate("joinedUserIds")


def test_late_joiner_fetches_history_but_not_others_private_messages(
        room: Room, open_sdk_page: OpenPage) -> None:
    tag = uuid.uuid4().hex[:8]
    earlier = f"before dave {tag}"
    private = f"alice to bob only {tag}"
    room.alice.call("sendText", earlier)
    room.alice.call("sendText", private, [room.alice.wait_peer(room.bob.user_id)])
    room.bob.added({"message": private})
    room.carol.added({"message": earlier})

    dave = join(room.server, open_sdk_page, room.meeting_id, "dave", "livestream_viewer")
    for sdk in room.everyone:
        sdk.wait_event("participantJoined", {"userId": dave.user_id})
    history = dave.call("fetchPublic", recent(500))
    texts = [m["message"] for m in history]
    assert earlier in texts
    assert private not in texts
    assert dave.call("leave") is None
    room.alice.wait_event("participantLeft", {"userId": dave.user_id})


def test_server_rejects_a_bad_token(room: Room, open_sdk_page: OpenPage) -> None:
    mallory_record = room.server.add_participant(room.meeting_id, name="Mallory", preset="livestream_viewer",
                                                 user="mallory")
    header, payload, signature = mallory_record["token"].split(".")
    forged = ".".join([header, payload, signature[::-1]])
    mallory = open_sdk_page("mallory")
    refused = mallory.attempt("init", forged, room.server.base_uri)
    assert refused["ok"] is False
    assert refused["error"]["code"] == "0004"
    assert "(401)" in refused["error"]["message"]
    for sdk in room.everyone:
        assert mallory_record["id"] not in sdk.evaluate("joinedUserIds")


def test_sdk_reconnects_after_the_server_drops_it_and_rejoins(
        sdk_server: ServerThread, open_sdk_page: OpenPage) -> None:
    meeting_id = sdk_server.create_meeting("reconnect")["id"]
    uma = join(sdk_server, open_sdk_page, meeting_id, "uma", "livestream_host")
    vic = join(sdk_server, open_sdk_page, meeting_id, "vic", "livestream_viewer")
    uma.wait_peer(vic.user_id)

    sdk_server.drop_connections(meeting_id)
    for sdk in (uma, vic):
        # Without a media join, the SDK returns to roomState "init" after reconnecting and
        # the app joins again (its SOCKET_SERVICE_RECONNECTED handler, wasJoinAttempted=false).
        sdk.page.wait_for_function(
            "() => meeting.meta.socketState.state === 'connected' && meeting.self.roomState === 'init'",
            timeout=30_000)
        assert sdk.sockets[0].is_closed()
        assert not sdk.sockets[-1].is_closed()
    uma.call("join")
    missed = unique("sent while vic was away")
    uma.call("sendText", missed)
    uma.added({"message": missed})
    vic.call("join")
    assert missed in [m["message"] for m in vic.call("fetchPublic", recent(50))]
    uma.wait_count("participantJoined", {"userId": vic.user_id}, 2)  # joined, then joined again
    assert uma.evaluate("joinedUserIds") == [vic.user_id]
    back = unique("vic is back")
    vic.call("sendText", back)
    assert uma.added({"message": back})["userId"] == vic.user_id


def test_sdk_comes_back_after_a_server_restart_with_its_history(
        tls_pair: tuple[Path, Path], open_sdk_page: OpenPage, tmp_path: Path) -> None:
    first = start_tls_server(tls_pair, data_dir=tmp_path)
    port = first.server.port
    assert port is not None
    try:
        meeting_id = first.create_meeting("restart")["id"]
        wes = join(first, open_sdk_page, meeting_id, "wes", "livestream_host")
        before = unique("before the restart")
        wes.call("sendText", before)
        pinned_id = wes.added({"message": before})["id"]
        wes.call("pin", pinned_id)
        wes.wait_event("pinMessage", {"message.id": pinned_id})
    finally:
        first.stop()

    # Same port and data directory: the SDK's own reconnect finds the new process, whose
    # database and token secret survived, so the old token still works.
    second = start_tls_server(tls_pair, data_dir=tmp_path, port=port)
    try:
        wes.page.wait_for_function(
            "() => meeting.meta.socketState.state === 'connected' && meeting.self.roomState === 'init'",
            timeout=30_000)
        # A new socket (attempts made while no server listened failed and closed).
        assert wes.sockets[0].is_closed()
        assert not wes.sockets[-1].is_closed()
        wes.call("join")
        history = wes.call("fetchPublic", recent(50))
        assert [(m["id"], m["message"], m["pinned"]) for m in history] == [(pinned_id, before, True)]
        after = unique("after the restart")
        wes.call("sendText", after)
        assert wes.added({"message": after})["id"] != pinned_id
    finally:
        second.stop()
