"""Past sessions through the official SDK: a meeting's sessions, its Chat Replay as the typed
messages and a DataFrame in one call, and ``read_replay_dataframe`` fed a URL or the SDK's answer."""

from __future__ import annotations

import pytest

from rtk_widget.client import ChatError, Meeting
from rtk_widget.client.export import read_replay_csv, read_replay_dataframe
from rtk_widget.cloudflare import list_sessions, session_chat, session_messages


@pytest.fixture
def where(cf, shared_server):
    return {
        "client": cf,
        "account_id": shared_server.config.account_id,
        "app_id": shared_server.config.app_id,
    }


@pytest.fixture
def chatted(where):
    """A meeting where Ada and Bob said a few things; their messages as the client saw them."""
    ada = Meeting.from_cloudflare(name="Ada", title="Journal club", **where)
    bob = Meeting.from_cloudflare(ada.meeting_id, name="Bob", **where)
    try:
        sent = [
            ada.chat.send_text_message("Shall we start?"),
            bob.chat.send_text_message('Yes: "page 3", then the plots'),
            ada.chat.send_text_message("line one\nline two"),
        ]
        yield ada.meeting_id, sent
    finally:
        bob.leave()
        ada.leave()


def test_a_sessions_chat_in_one_call(where, chatted):
    meeting_id, sent = chatted
    (session,) = list_sessions(meeting_id, **where)
    assert session.associated_id == meeting_id
    assert session.meeting_display_name == "Journal club"
    chat = session_chat(session.id, **where)
    assert [(m.id, m.display_name, m.message) for m in chat.messages] == [
        (m.id, m.display_name, m.message) for m in sent
    ]
    frame = chat.dataframe
    assert list(frame["text"]) == [m.message for m in sent]
    assert list(frame["display_name"]) == ["Ada", "Bob", "Ada"]
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert [m.id for m in session_messages(session.id, **where)] == [m.id for m in sent]
    assert list_sessions(meeting_id, status="ENDED", **where) == []


def test_the_replay_readers_take_the_url_or_the_sdks_answer(cf, shared_server, where, chatted):
    meeting_id, sent = chatted
    (session,) = list_sessions(meeting_id, **where)
    answer = cf.realtime_kit.sessions.get_session_chat(
        session.id, account_id=where["account_id"], app_id=where["app_id"]
    )
    ids = [m.id for m in sent]
    for source in (answer, answer.data, answer.data.chat_download_url, answer.model_dump()):
        assert list(read_replay_dataframe(source)["id"]) == ids
    assert [m.id for m in read_replay_csv(answer.data.chat_download_url)] == ids
    forged = answer.data.chat_download_url.replace("sig=", "sig=0")
    with pytest.raises(ChatError, match="HTTP 403"):
        read_replay_csv(forged)
    with pytest.raises(TypeError, match="not a Chat Replay CSV"):
        read_replay_csv(42)
