"""``persist_chat``: a session's chat is kept for a week after it ends, then deleted (Chat
Replay has only the header, pages no longer hold it, a catch-up reports the deletion), unless the
meeting persists its chat. The week passes by calling the session clock with a later time."""

from __future__ import annotations

import httpx
from protocol_client import ProtoClient

from rtk_widget.server.store.records import now_ms
from rtk_widget.wire import sync_pb2
from rtk_widget.wire.events import Event
from rtk_widget.wire.replay import COLUMNS

DAY_MS = 86_400_000


async def _session(server, rtk, *, persist: bool):
    """A meeting (persist_chat as given) whose one session ran, said "kept?" and ended."""
    meeting = (
        await rtk.kit.meetings.create(
            rtk.app_id, account_id=rtk.account_id, persist_chat=persist, session_keep_alive_time_in_secs=0
        )
    ).data
    (ada,) = await rtk.add_people(meeting.id, ["ada"])
    client = await ProtoClient.connect(server.base_url, ada, meeting.id)
    await client.join()
    said = await client.send_text("kept?")
    await client.close()
    await server.parts.rooms.idle.wait()
    (session,) = (
        await rtk.kit.sessions.get_sessions(rtk.app_id, account_id=rtk.account_id, associated_id=meeting.id)
    ).data.sessions
    assert session.status == "ENDED"
    return meeting.id, session.id, ada, said.chat_id


async def _replay(rtk, session_id):
    answer = await rtk.kit.sessions.get_session_chat(session_id, account_id=rtk.account_id, app_id=rtk.app_id)
    async with httpx.AsyncClient() as http:
        return (await http.get(answer.data.chat_download_url)).text


async def _history(server, meeting_id, participant):
    client = await ProtoClient.connect(server.base_url, participant, meeting_id)
    try:
        page = await client.page(time_stamp=0, size=10, reversed=True)
        synced = await client.call(
            Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=0), sync_pb2.SyncResponse
        )
        return [m.chat_id for m in page.messages], list(synced.deleted_ids)
    finally:
        await client.close()


async def test_chat_is_kept_a_week_unless_the_meeting_persists_it(server, rtk):
    dropped = await _session(server, rtk, persist=False)
    kept = await _session(server, rtk, persist=True)
    start = now_ms()

    await server.parts.sessions.expire_due(at_ms=start + 6 * DAY_MS)
    for meeting_id, session_id, ada, message_id in (dropped, kept):
        assert "kept?" in await _replay(rtk, session_id)
        assert await _history(server, meeting_id, ada) == ([message_id], [])

    await server.parts.sessions.expire_due(at_ms=start + 8 * DAY_MS)
    meeting_id, session_id, ada, message_id = dropped
    assert (await _replay(rtk, session_id)).splitlines() == [",".join(COLUMNS)]
    assert await _history(server, meeting_id, ada) == ([], [message_id])
    meeting_id, session_id, ada, message_id = kept
    assert "kept?" in await _replay(rtk, session_id)
    assert await _history(server, meeting_id, ada) == ([message_id], [])
