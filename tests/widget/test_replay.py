"""``ReplayWidget``: a past session in the panel, from a CSV, a DataFrame or a real session on the
embedded server (through Cloudflare's SDK); seeking, playing, and write requests refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudflare import Cloudflare

from rtk_widget import Meeting
from rtk_widget.client.export import to_dataframe, write_replay_csv
from rtk_widget.client.local import local_server
from rtk_widget.client.messages import FileMessage, Message, TextMessage
from rtk_widget.client.runtime import get_runtime
from rtk_widget.cloudflare import list_sessions
from rtk_widget.widget import ReplayWidget

from .support import TIMEOUT, Recorder, Watch, deliver, request

START = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def said(index: int, text: str, seconds: float, who: str = "ada") -> TextMessage:
    moment = START + timedelta(seconds=seconds)
    return TextMessage(id=f"m{index}", user_id=who, display_name=who.title(), time=moment,
                       time_ms=round(moment.timestamp() * 1000), message=text)


SESSION: list[Message] = [
    said(1, "Shall we start?", 0),
    said(2, "Yes: page 3", 4, "bob"),
    FileMessage(id="m3", user_id="bob", display_name="Bob", time=START + timedelta(seconds=9),
                time_ms=round((START + timedelta(seconds=9)).timestamp() * 1000),
                link="https://files.example/plots.csv", name="plots.csv", size=2048, pinned=True),
    said(4, "Thanks, Bob", 12),
]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def opened(source: object, recorder: Recorder, **options: Any) -> ReplayWidget:
    replay = ReplayWidget(source, **options)
    replay.send = recorder  # type: ignore[method-assign]
    return replay


@pytest.fixture
def replay(tmp_path: Path, recorder: Recorder) -> Iterator[ReplayWidget]:
    path = write_replay_csv(reversed(SESSION), tmp_path / "chat.csv", session_id="s1")
    widget = opened(path, recorder, position=0)
    yield widget
    widget.close()


def ids(messages: object) -> list[str]:
    return [m.id for m in messages]  # type: ignore[attr-defined]


def page(replay: ReplayWidget, recorder: Recorder) -> list[str]:
    answer = recorder.reply(request(replay, "page", {"before": None, "limit": 50}))
    return [m["id"] for m in answer["response"]["messages"]]


def test_a_csv_opens_in_chat_order_and_seek_reveals_up_to_a_count_or_a_time(replay, recorder):
    assert ids(replay.session) == ["m1", "m2", "m3", "m4"]  # the file was written newest first
    assert replay.messages == []
    assert page(replay, recorder) == []
    assert replay.replay == {"count": 4, "start_ms": SESSION[0].time_ms, "end_ms": SESSION[3].time_ms,
                             "at_ms": SESSION[0].time_ms}
    replay.seek(3)
    assert ids(replay.messages) == ["m1", "m2", "m3"]
    assert ids(replay.pinned) == ["m3"]
    assert page(replay, recorder) == ["m1", "m2", "m3"]
    assert replay.replay["at_ms"] == SESSION[2].time_ms
    assert replay.position_time == SESSION[2].time
    replay.seek(timedelta(seconds=5))
    assert ids(replay.messages) == ["m1", "m2"]
    replay.seek(START + timedelta(seconds=12))
    assert ids(replay.messages) == ["m1", "m2", "m3", "m4"]
    replay.seek(0)
    assert replay.messages == []
    assert replay.position_time is None


def test_the_panel_follows_a_seek_back_and_forth_through_deltas(replay, recorder):
    replay.seek(4)
    replay.seek(1)
    replay.seek(2)
    recorder.wait(lambda c: c.get("kind") == "deltas" and any(
        d["op"] == "upsert" and d["message"]["id"] == "m2" and d is c["items"][-1] for d in c["items"]))
    shown: dict[str, dict[str, Any]] = {}
    for push in recorder.pushes("deltas"):
        for delta in push["items"]:
            if delta["op"] == "upsert":
                shown[delta["message"]["id"]] = delta["message"]
            else:
                shown.pop(delta["id"])
    assert list(shown) == ["m1", "m2"]
    firsts = [push["first"] for push in recorder.pushes("deltas")]
    assert firsts == sorted(firsts)
    # A panel that lost track catches up from the same numbered deltas.
    caught_up = recorder.reply(request(replay, "catch-up", {"after": 0}))["response"]
    assert len(caught_up["deltas"]) == caught_up["feedSeq"] == 4 + 3 + 1


def test_writes_are_refused_as_forbidden_and_the_replay_is_unchanged(replay, recorder):
    replay.seek(4)
    for kind, msg in [("send", {"text": "hi"}), ("edit", {"messageId": "m1", "text": "x"}),
                      ("delete", {"messageId": "m1"}), ("pin", {"messageId": "m1"}),
                      ("unpin", {"messageId": "m3"}), ("reconnect", {}),
                      ("upload-chunk", {"uploadId": "u", "index": 0, "last": True, "name": "a", "mime": "b",
                                        "size": 1})]:
        error = recorder.reply(request(replay, kind, msg))["error"]
        assert error["code"] == "forbidden", kind
        assert "replay of a past session" in error["message"]
        assert kind in error["message"]
    assert recorder.reply(request(replay, "ping", {}))["response"] == {}
    # Attachments are read, through the kernel (test_replay_media), but only links of the session.
    assert recorder.reply(request(replay, "media", {"link": "https://x/y"}))["error"]["code"] == "not_found"
    assert recorder.reply(request(replay, "page", {"limit": 0}))["error"]["code"] == "invalid"
    deliver(replay, {"kind": "cancel", "msg": {"targetId": "r1"}})
    deliver(replay, "not a request")
    assert ids(replay.messages) == ["m1", "m2", "m3", "m4"]
    assert not any(m.get("kind") == "deltas" and m["first"] > 4 for m, _ in recorder.sent)


def test_play_reveals_the_messages_in_order_and_stops_at_the_end(replay):
    watch = Watch(replay)
    stopped = threading.Event()
    replay.observe(lambda change: change["new"] or stopped.set(), "replay_playing")
    replay.play(speed=100)  # the 12 s session in 0.12 s
    assert stopped.wait(TIMEOUT), "the replay never stopped playing"
    revealed = [ids(m) for m in watch.changes]
    assert revealed == [["m1", "m2", "m3", "m4"][:n] for n in range(1, 5)]
    # Play at the end starts again from the first message.
    positions: list[int] = []
    replay.observe(lambda change: positions.append(change["new"]), "replay_position")
    replay.play()
    assert replay.replay_playing
    assert positions[0] == 0
    replay.pause()
    paused_at = replay.replay_position
    replay.seek(paused_at)
    assert not replay.replay_playing
    assert len(replay.messages) == paused_at


def test_the_front_end_moves_the_replay_through_its_traits(replay):
    replay.set_state({"replay_position": 2})
    assert ids(replay.messages) == ["m1", "m2"]
    replay.set_state({"replay_position": 99})  # out of range: the nearest end
    assert replay.replay_position == 4
    replay.set_state({"replay_speed": 4})
    assert replay.replay_speed == 4.0


def test_a_dataframe_replays_like_the_messages_it_came_from(recorder):
    frame = to_dataframe(SESSION).sample(frac=1, random_state=3)  # rows in any order
    replay = opened(frame, recorder, title="Journal club")
    try:
        assert replay.messages == SESSION
        assert replay.title == "Journal club"
        assert replay.to_pandas()["id"].tolist() == ids(SESSION)
        assert "4 of 4 messages shown" in repr(replay)
    finally:
        replay.close()


def test_a_chat_replay_csv_read_with_pandas_replays_too(tmp_path, recorder):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(write_replay_csv(SESSION, tmp_path / "chat.csv"))
    replay = opened(frame, recorder)
    try:
        assert replay.messages == SESSION
        assert replay.title == "Past session, 2026-03-04 09:30 UTC"
    finally:
        replay.close()


def test_bad_input_names_the_call():
    with pytest.raises(TypeError, match=r"ReplayWidget\(\) takes messages, a DataFrame"):
        ReplayWidget(42)
    with pytest.raises(TypeError, match=r"ReplayWidget\(\): item 1 is a str"):
        ReplayWidget([SESSION[0], "hello"])
    with pytest.raises(ValueError, match=r"ReplayWidget\(\): the DataFrame lacks column\(s\) time_ms"):
        ReplayWidget(to_dataframe(SESSION).drop(columns=["time_ms"]))
    with pytest.raises(ValueError, match=r"ReplayWidget\(\): not a Chat Replay CSV"):
        ReplayWidget("id,text\n1,hello\n")
    replay = ReplayWidget(SESSION)
    try:
        with pytest.raises(ValueError, match=r"the session has 4 messages, got 5"):
            replay.seek(5)
        with pytest.raises(TypeError, match=r"ReplayWidget.seek\(\) takes a message count"):
            replay.seek("end")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="time zone"):
            replay.seek(datetime(2026, 3, 4, 9, 30))
        with pytest.raises(ValueError, match="replay speed must be between"):
            replay.play(speed=0)
        assert len(replay.messages) == 4
        assert not replay.replay_playing
    finally:
        replay.close()


def test_a_session_on_the_embedded_server_replays_through_the_sdk(recorder):
    server = get_runtime().run(local_server(get_runtime()))
    client = Cloudflare(api_token=server.api_token, base_url=f"{server.base_url}/client/v4", max_retries=0)
    where = {"client": client, "account_id": server.config.account_id, "app_id": server.config.app_id}
    ada = Meeting.from_cloudflare(name="Ada", title="Replay club", **where)
    bob = Meeting.from_cloudflare(ada.meeting_id, name="Bob", **where)
    try:
        sent = [ada.chat.send_text_message("first"), bob.chat.send_text_message("second"),
                ada.chat.send_text_message("third")]
        (session,) = list_sessions(ada.meeting_id, **where)
        replay = ReplayWidget.from_session(session.id, **where)
        replay.send = recorder  # type: ignore[method-assign]
        try:
            assert [(m.id, m.display_name, m.message) for m in replay.messages] == [  # type: ignore[attr-defined]
                (m.id, m.display_name, m.message) for m in sent
            ]
            replay.seek(1)
            assert page(replay, recorder) == [sent[0].id]
            assert recorder.reply(request(replay, "send", {"text": "late"}))["error"]["code"] == "forbidden"
            assert [m.message for m in ada.chat.messages] == ["first", "second", "third"]  # type: ignore[attr-defined]
        finally:
            replay.close()
    finally:
        bob.leave()
        ada.leave()
        client.close()


def test_the_replay_syncs_declared_traits_only():
    import anywidget

    from rtk_widget.widget import _protocol

    inherited = set(anywidget.AnyWidget.class_traits(sync=True))
    synced = {n for n in ReplayWidget.class_traits(sync=True) if not n.startswith("_")} - inherited
    replay_traits = set(_protocol.ReplayTraits.__annotations__)
    assert replay_traits <= synced
    assert synced - replay_traits <= set(_protocol.ChatTraits.__annotations__)


def test_an_empty_session_opens_and_stops_playing_at_once(recorder):
    replay = opened([], recorder)
    try:
        assert replay.title == "Past session (no messages)"
        assert replay.replay == {"count": 0, "start_ms": 0, "end_ms": 0, "at_ms": 0}
        replay.play()
        assert not replay.replay_playing
        assert page(replay, recorder) == []
    finally:
        replay.close()


def test_the_opening_position_is_read_as_pages_not_sent_as_deltas(recorder):
    replay = opened(SESSION, recorder, position=timedelta(seconds=9))
    try:
        assert ids(replay.messages) == ["m1", "m2", "m3"]
        assert page(replay, recorder) == ["m1", "m2", "m3"]
        caught_up = recorder.reply(request(replay, "catch-up", {"after": 0}))["response"]
        assert caught_up == {"deltas": [], "feedSeq": 0}
    finally:
        replay.close()


def test_a_long_jump_makes_the_panel_reload_instead_of_a_delta_per_message(recorder):
    long_session = [said(i, f"line {i}", i) for i in range(1, 451)]
    replay = opened(long_session, recorder, position=0)
    try:
        replay.seek(450)
        marker, _ = recorder.wait(lambda c: c.get("kind") == "deltas")
        assert marker["items"] == []  # a gap the panel cannot fill from deltas ...
        assert recorder.reply(request(replay, "catch-up", {"after": 0}))["response"] == {"reset": True}
        assert page(replay, recorder)[-1] == "m450"  # ... so it reloads from the store
        replay.seek(440)  # a short move is deltas again, numbered after the gap
        recorder.wait(lambda c: c.get("kind") == "deltas" and len(c["items"]) == 10)
        caught_up = recorder.reply(request(replay, "catch-up", {"after": marker["first"]}))["response"]
        assert [d["id"] for d in caught_up["deltas"]] == [f"m{i}" for i in range(450, 440, -1)]
        assert len(replay.messages) == 440
    finally:
        replay.close()
