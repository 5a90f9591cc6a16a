"""session_keep_alive_time_in_secs: a session ends only once its last participant has been
gone that long; a rejoin within the window continues it. Time is driven explicitly through
SessionLifecycle.expire_due (the function the background timer calls), except in the one
test that lets the timer itself end a session."""

from __future__ import annotations

from datetime import datetime

import pytest
from protocol_client import ProtoClient

from rtk_widget.server import ServerConfig
from rtk_widget.wire.events import Event
from tests.server.webhook_receiver import WebhookReceiver


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(session_keep_alive_s=0.05)  # the server default, for meetings without one


async def active(api, meeting_id: str) -> dict | None:
    r = await api.get(f"/meetings/{meeting_id}/active-session")
    return r.json()["data"] if r.status_code == 200 else None


async def test_a_session_outlives_its_last_participant_by_the_keep_alive(server, make_meeting, api):
    meeting, (ada,) = await make_meeting("ada")
    await api.patch(f"/meetings/{meeting['id']}", json={"session_keep_alive_time_in_secs": 60})
    lifecycle = server.parts.sessions
    async with WebhookReceiver() as receiver:
        await api.post("/webhooks", json={"name": "w", "url": receiver.url, "events": ["meeting.started"]})
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        await a.join()
        await a.request(Event.LEAVE_ROOM)
        session = await active(api, meeting["id"])
        assert session is not None
        assert session["live_participants"] == 0
        peers = (await api.get(f"/sessions/{session['id']}/participants")).json()["data"]["participants"]
        left = ms(peers[0]["left_at"])
        assert await lifecycle.expire_due(at_ms=left + 59_999) == []
        assert (await active(api, meeting["id"]))["id"] == session["id"]

        await a.join()  # back within the window: the same session goes on
        assert (await active(api, meeting["id"]))["id"] == session["id"]
        assert await lifecycle.expire_due(at_ms=left + 3_600_000) == []  # someone is here: never due
        await a.request(Event.LEAVE_ROOM)
        peers = (await api.get(f"/sessions/{session['id']}/participants")).json()["data"]["participants"]
        left = ms(peers[0]["left_at"])
        assert await lifecycle.expire_due(at_ms=left + 60_000) == [session["id"]]
        ended = (await api.get(f"/sessions/{session['id']}")).json()["data"]
        assert ended["status"] == "ENDED"
        assert ms(ended["ended_at"]) == left + 60_000  # when the keep-alive ran out
        assert await active(api, meeting["id"]) is None

        await a.join()  # after the end: a new session
        fresh = await active(api, meeting["id"])
        assert fresh is not None
        assert fresh["id"] != session["id"]
        await receiver.wait_for("meeting.started", 2)
        await server.parts.webhooks.settled()
        assert len(receiver.events("meeting.started")) == 2  # not one for the rejoin
        await a.close()


async def test_the_background_timer_ends_the_session(server, make_meeting, api):
    meeting, (ada,) = await make_meeting("ada")
    async with WebhookReceiver() as receiver:
        await api.post("/webhooks", json={"name": "w", "url": receiver.url, "events": ["meeting.ended"]})
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        await a.join()
        session = await active(api, meeting["id"])
        await a.close()  # a dropped socket counts as leaving
        (ended,) = await receiver.wait_for("meeting.ended")
        assert ended.json()["meeting"]["sessionId"] == session["id"]
        stored = (await api.get(f"/sessions/{session['id']}")).json()["data"]
        peers = (await api.get(f"/sessions/{session['id']}/participants")).json()["data"]["participants"]
        assert stored["status"] == "ENDED"
        assert ms(stored["ended_at"]) == ms(peers[0]["left_at"]) + 50


async def test_a_meeting_keep_alive_of_zero_ends_at_the_last_leave(server, make_meeting, api):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    await api.patch(f"/meetings/{meeting['id']}", json={"session_keep_alive_time_in_secs": 0})
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
    await a.join()
    await b.join()
    await a.request(Event.LEAVE_ROOM)
    assert await active(api, meeting["id"]) is not None  # bob is still here
    await b.request(Event.LEAVE_ROOM)
    assert await active(api, meeting["id"]) is None
    for c in (a, b):
        await c.close()


@pytest.mark.parametrize("value", ["60", -1, True, 86_401, [60]])
async def test_invalid_keep_alive_is_refused(api, value):
    r = await api.post("/meetings", json={"title": "k", "session_keep_alive_time_in_secs": value})
    assert r.status_code == 400
    assert '"session_keep_alive_time_in_secs" must be a number' in r.json()["error"]["message"]
    assert (await api.get("/meetings")).json()["data"] == []
