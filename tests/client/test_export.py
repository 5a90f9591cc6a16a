"""Chat Replay CSV out and in, DataFrames, and reading the server's own replay dump."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import httpx
import pytest

from rtk_widget.client import Meeting, read_replay_csv, read_replay_dataframe
from rtk_widget.client.export import COLUMNS, parse_created_at, to_dataframe
from rtk_widget.client.local import local_server
from rtk_widget.client.runtime import get_runtime

from .helpers import wait_until


def fields(messages):
    return [(m.id, m.type, m.user_id, m.display_name, m.payload, m.time_ms, m.pinned, m.is_edited)
            for m in messages]


def test_csv_round_trip_keeps_every_field_of_the_format(trio, tmp_path):
    ada, bob, _ = trio
    ada.chat.send_text_message('commas, "quotes"\nand a second line')
    edited = bob.chat.send_text_message("typo")
    bob.chat.edit_text_message(edited.id, "fixed")
    image = ada.chat.send_image_message(b"GIF89a" + bytes(8), name="a.gif")
    ada.chat.send_file_message(("r\u00e9sum\u00e9.txt", b"cv"))
    bob.chat.pin(image.id)
    wait_until(ada.chat, "chatUpdate", lambda: ada.chat.pinned and ada.chat.messages[1].is_edited)
    path = tmp_path / "chat.csv"
    text = ada.chat.to_csv(path)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert path.read_bytes() == text.encode()
    assert "IMAGE_MESSAGE" in text
    assert "FILE_MESSAGE" in text
    assert ada.meeting_id in text
    back = read_replay_csv(path)
    assert fields(back) == fields(ada.chat.messages)
    assert fields(read_replay_csv(text)) == fields(back)
    frame = ada.chat.to_dataframe()
    assert list(frame["id"]) == [m.id for m in ada.chat.messages]
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert list(frame["file_name"].dropna()) == ["r\u00e9sum\u00e9.txt"]
    assert frame["file_size"].dropna().tolist() == [2]
    assert frame["is_private"].tolist() == [False] * 4
    assert frame["pinned"].tolist() == [False, False, True, False]
    again = read_replay_dataframe(path)
    for column in ("id", "type", "user_id", "text", "link", "file_name", "pinned", "is_edited", "created_at"):
        assert again[column].equals(frame[column]), column


def test_reads_the_servers_chat_replay_dump():
    ada = Meeting.local(display_name="Ada")
    try:
        ada.chat.send_text_message("for the record")
        ada.chat.send_file_message(("notes.txt", b"n"))
        runtime = get_runtime()

        async def dump_url() -> tuple[str, str]:
            server = await local_server(runtime)
            return server.management_url, server.api_token

        management, api_token = runtime.run(dump_url())
        headers = {"Authorization": f"Bearer {api_token}"}
        sessions = httpx.get(f"{management}/sessions", params={"associated_id": ada.meeting_id},
                             headers=headers).json()["data"]["sessions"]
        url = httpx.get(f"{management}/sessions/{sessions[0]['id']}/chat",
                        headers=headers).json()["data"]["chat_download_url"]
        dumped = read_replay_csv(httpx.get(url).text)
        assert fields(dumped) == fields(ada.chat.messages)
    finally:
        ada.leave()


def test_created_at_is_parsed_leniently():
    expected = round(datetime(2026, 11, 25, 1, 2, 3, 456000, tzinfo=UTC).timestamp() * 1000)
    for cell in ("2026-11-25T01:02:03.456Z", "2026-11-25 01:02:03.456", "2026-11-25T01:02:03.456000+00:00",
                 "2026-11-25T02:02:03.456+01:00", "2026-11-25T01:02:03.456789123Z", str(expected),
                 str(expected / 1000)):
        assert abs(parse_created_at(cell) - expected) <= 1, cell
    assert parse_created_at("2026-11-25T01:02:03Z") == expected - 456
    with pytest.raises(ValueError, match="not a date"):
        parse_created_at("yesterday")


def test_bad_csv_is_refused_precisely():
    with pytest.raises(ValueError, match="missing column"):
        read_replay_csv("id,payload\n1,x\n")
    header = ",".join(COLUMNS)
    with pytest.raises(ValueError, match=r"row 2.*payloadType"):
        read_replay_csv(f"{header}\nm1,u1,s,mt,Ada,false,false,VIDEO_MESSAGE,x,2026-01-01T00:00:00Z\n")


def test_dataframes_need_pandas_and_say_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install"):
        to_dataframe([])
