"""Every RealtimeKit REST call rtk-widget serves, made by the official ``cloudflare`` SDK and
checked strictly against the SDK's response types (conftest.Kit.call)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import cloudflare
import httpx
import pytest
from cloudflare.types.realtime_kit import PresetGetPresetByIDResponse
from protocol_client import ProtoClient

from rtk_widget.server.presets import builtin

from .conftest import sdk_client
from .strict import problems

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
FAR_AHEAD = datetime(2100, 1, 1, tzinfo=UTC)


def test_the_strict_check_finds_what_the_sdk_lets_through():
    broken = {"success": True, "data": {**builtin("group_call_host"), "id": "p", "created_at": "x"}}
    broken["data"]["ui"]["design_tokens"]["colors"] = {}
    broken["data"]["config"]["view_type"] = "CHAT"
    lenient = PresetGetPresetByIDResponse.construct(**broken)  # how the SDK parses answers
    assert lenient.data.config.view_type == "CHAT"
    found = problems(PresetGetPresetByIDResponse, broken)
    assert "$.data.updated_at: required field missing" in found
    assert "$.data.created_at: 'x' is not a datetime" in found
    assert any(p.startswith("$.data.config.view_type: 'CHAT'") for p in found)
    assert "$.data.ui.design_tokens.colors.danger: required field missing" in found


async def test_apps(rtk):
    apps = await rtk.call(rtk.kit.apps.with_raw_response.get)
    assert [a.id for a in apps.data] == [rtk.app_id]
    assert apps.paging.total_count == 1
    none = await rtk.call(rtk.kit.apps.with_raw_response.get, search="no such app")
    assert none.data == []


async def test_meetings(rtk):
    raw = rtk.kit.meetings.with_raw_response
    first = (await rtk.call(raw.create, rtk.app_id, title="Physics", persist_chat=True)).data
    second = (await rtk.call(raw.create, rtk.app_id, title="Chemistry")).data
    assert first.persist_chat is True
    assert second.persist_chat is False
    got = await rtk.call(raw.get_meeting_by_id, first.id, app_id=rtk.app_id)
    assert got.data.title == "Physics"

    listed = await rtk.call(raw.get, rtk.app_id, search="Chem")
    assert [m.id for m in listed.data] == [second.id]
    since = await rtk.call(raw.get, rtk.app_id, start_time=second.created_at)
    assert second.id in {m.id for m in since.data}
    assert all(m.created_at >= second.created_at for m in since.data)
    until = await rtk.call(raw.get, rtk.app_id, end_time=first.created_at)
    assert first.id in {m.id for m in until.data}
    assert all(m.created_at <= first.created_at for m in until.data)
    assert (await rtk.call(raw.get, rtk.app_id, start_time=FAR_AHEAD)).data == []
    assert (await rtk.call(raw.get, rtk.app_id, end_time=LONG_AGO)).paging.total_count == 0

    updated = await rtk.call(raw.update_meeting_by_id, first.id, app_id=rtk.app_id, status="INACTIVE")
    assert updated.data.status == "INACTIVE"
    assert updated.data.title == "Physics"
    replaced = await rtk.call(raw.replace_meeting_by_id, first.id, app_id=rtk.app_id, title="Biology")
    assert replaced.data.title == "Biology"
    assert replaced.data.status == "ACTIVE"
    assert replaced.data.persist_chat is False  # a replacement starts from the defaults
    with pytest.raises(cloudflare.NotFoundError):
        await rtk.kit.meetings.get_meeting_by_id("nope", account_id=rtk.account_id, app_id=rtk.app_id)
    with pytest.raises(cloudflare.BadRequestError):
        await rtk.kit.meetings.get(rtk.app_id, account_id=rtk.account_id, extra_query={"start_time": "soon"})


async def test_presets(rtk):
    raw = rtk.kit.presets.with_raw_response
    listed = await rtk.call(raw.get, rtk.app_id)
    names = {p.name: p.id for p in listed.data}
    assert set(names) == {"group_call_host", "group_call_participant", "livestream_host", "livestream_viewer"}
    for preset_id in names.values():  # each built-in has the whole Preset shape
        await rtk.call(raw.get_preset_by_id, preset_id, app_id=rtk.app_id)
    viewer = (await rtk.call(raw.get_preset_by_id, names["livestream_viewer"], app_id=rtk.app_id)).data
    assert viewer.permissions.media.video.can_produce == "NOT_ALLOWED"

    body = builtin("group_call_participant")
    del body["permissions"]["chat"]["can_pin_messages"], body["permissions"]["chat"]["can_moderate_messages"]
    body.update(name="moderator")
    body["permissions"]["pin_participant"] = True
    made = (await rtk.call(raw.create, rtk.app_id, **body)).data
    chat = made.permissions.chat.model_dump()
    # An SDK-made preset has no pin/moderate flags of ours: pinning follows pin_participant.
    assert chat["can_pin_messages"] is True
    assert chat["can_moderate_messages"] is False

    patched = await rtk.call(raw.update, made.id, app_id=rtk.app_id, permissions={"kick_participant": True})
    assert patched.data.permissions.kick_participant
    assert patched.data.permissions.pin_participant
    assert patched.data.permissions.chat.model_dump()["can_moderate_messages"] is True
    body.update(name="moderator 2")
    body["config"]["view_type"] = "WEBINAR"
    replaced = await rtk.call(raw.replace_preset_by_id, made.id, app_id=rtk.app_id, **body)
    assert replaced.data.name == "moderator 2"
    assert replaced.data.config.view_type == "WEBINAR"
    assert replaced.data.permissions.kick_participant is False  # PUT replaces, PATCH merged

    deleted = await rtk.call(raw.delete, made.id, app_id=rtk.app_id)
    assert deleted.data.id == made.id
    with pytest.raises(cloudflare.NotFoundError):
        await rtk.kit.presets.get_preset_by_id(made.id, account_id=rtk.account_id, app_id=rtk.app_id)
    body["config"]["view_type"] = "CHAT"
    with pytest.raises(cloudflare.BadRequestError, match="view_type"):
        await rtk.kit.presets.create(rtk.app_id, account_id=rtk.account_id, **body)


async def test_a_preset_in_use_is_not_deleted(rtk):
    meeting = (await rtk.call(rtk.kit.meetings.with_raw_response.create, rtk.app_id)).data
    body = {**builtin("group_call_participant"), "name": "in use"}
    preset = (await rtk.call(rtk.kit.presets.with_raw_response.create, rtk.app_id, **body)).data
    await rtk.kit.meetings.add_participant(
        meeting.id,
        account_id=rtk.account_id,
        app_id=rtk.app_id,
        custom_participant_id="x",
        preset_name="in use",
    )
    with pytest.raises(cloudflare.ConflictError, match="used by 1 participant"):
        await rtk.kit.presets.delete(preset.id, account_id=rtk.account_id, app_id=rtk.app_id)


async def test_participants(rtk):
    raw = rtk.kit.meetings.with_raw_response
    ids = {"account_id": rtk.account_id, "app_id": rtk.app_id}
    meeting = (await rtk.call(raw.create, rtk.app_id, title="P")).data
    ada = (
        await rtk.call(
            raw.add_participant,
            meeting.id,
            app_id=rtk.app_id,
            name="Ada",
            preset_name="group_call_host",
            custom_participant_id="ada",
        )
    ).data
    assert ada.token.startswith("eyJ")
    got = await rtk.call(raw.get_meeting_participant, ada.id, app_id=rtk.app_id, meeting_id=meeting.id)
    assert got.data.custom_participant_id == "ada"
    listed = await rtk.call(raw.get_meeting_participants, meeting.id, app_id=rtk.app_id)
    assert [p.id for p in listed.data] == [ada.id]
    edited = await rtk.call(
        raw.edit_participant, ada.id, app_id=rtk.app_id, meeting_id=meeting.id, name="Ada L."
    )
    assert edited.data.name == "Ada L."
    fresh = await rtk.call(raw.refresh_participant_token, ada.id, app_id=rtk.app_id, meeting_id=meeting.id)
    assert fresh.data.token != ada.token
    removed = await rtk.call(raw.delete_meeting_participant, ada.id, app_id=rtk.app_id, meeting_id=meeting.id)
    assert removed.data.custom_participant_id == "ada"
    with pytest.raises(cloudflare.NotFoundError):
        await rtk.kit.meetings.get_meeting_participant(ada.id, meeting_id=meeting.id, **ids)
    with pytest.raises(cloudflare.BadRequestError, match="No preset"):
        await rtk.kit.meetings.add_participant(
            meeting.id, **ids, preset_name="nope", custom_participant_id="x"
        )


async def test_a_wrong_api_token_is_refused(server, rtk):
    client = sdk_client(server, token="wrong")
    try:
        with pytest.raises(cloudflare.AuthenticationError):
            await client.realtime_kit.apps.get(account_id=rtk.account_id)
    finally:
        await client.close()


async def _join(server, meeting_id, participant):
    client = await ProtoClient.connect(server.base_url, participant, meeting_id)
    await client.join()
    return client


async def test_active_session_kick_and_kick_all(server, rtk):
    raw = rtk.kit.meetings.with_raw_response
    meeting = (await rtk.call(raw.create, rtk.app_id, title="K")).data
    people = await rtk.add_people(meeting.id, ["ada", "bob", "cy"], "group_call_participant")
    with pytest.raises(cloudflare.NotFoundError):
        await rtk.kit.active_session.kick_all_participants(
            meeting.id, account_id=rtk.account_id, app_id=rtk.app_id
        )
    ada, bob, cy = [await _join(server, meeting.id, p) for p in people]
    active = rtk.kit.active_session.with_raw_response
    live = await rtk.call(active.get_active_session, meeting.id, app_id=rtk.app_id)
    assert live.data.live_participants == 3

    kicked = await rtk.call(
        active.kick_participants, meeting.id, app_id=rtk.app_id, custom_participant_ids=["ada"]
    )
    assert [p.id for p in kicked.data.participants] == [people[0]["id"]]
    closed = await ada.wait_closed()
    assert (closed.rcvd.code, closed.rcvd.reason) == (4003, "kicked")
    again = await ProtoClient.connect(server.base_url, people[0], meeting.id)  # the same token
    closed = await again.wait_closed()
    assert (closed.rcvd.code, closed.rcvd.reason) == (4003, "kicked")
    token = (
        await rtk.kit.meetings.refresh_participant_token(
            people[0]["id"], account_id=rtk.account_id, app_id=rtk.app_id, meeting_id=meeting.id
        )
    ).data.token
    back = await _join(server, meeting.id, {**people[0], "token": token})  # a fresh token may rejoin

    everyone = await rtk.call(active.kick_all_participants, meeting.id, app_id=rtk.app_id)
    assert everyone.data.kicked_participants_count == 3
    for client in (back, bob, cy):
        assert (await client.wait_closed()).rcvd.code == 4003
    with pytest.raises(cloudflare.BadRequestError):
        await rtk.kit.active_session.kick_participants(
            meeting.id, account_id=rtk.account_id, app_id=rtk.app_id
        )


async def _past_session(server, rtk, title, names):
    """A meeting whose session ran and ended: everyone joined, Ada said hello, all left."""
    raw = rtk.kit.meetings.with_raw_response
    meeting = (await rtk.call(raw.create, rtk.app_id, title=title, session_keep_alive_time_in_secs=0)).data
    people = await rtk.add_people(meeting.id, names)
    clients = [await _join(server, meeting.id, p) for p in people]
    await clients[0].send_text(f"hello from {title}")
    for client in clients:
        await client.close()
    await server.parts.rooms.idle.wait()
    return meeting, people


async def test_sessions(server, rtk):
    one, (ada, _) = await _past_session(server, rtk, "Algebra", ["ada", "bob"])
    two, _ = await _past_session(server, rtk, "Botany", ["cy"])
    raw = rtk.kit.sessions.with_raw_response

    def session_ids(answer):
        return [s.associated_id for s in answer.data.sessions]

    mine = await rtk.call(raw.get_sessions, rtk.app_id, associated_id=one.id)
    (session,) = mine.data.sessions
    assert session.status == "ENDED"
    assert session.max_concurrent_participants == 2
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, search="Bota")) == [two.id]
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, participants="2:")) == [one.id]
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, participants="1")) == [two.id]
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, sort_order="ASC")) == [one.id, two.id]
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, sort_by="createdAt")) == [two.id, one.id]
    by_minutes = await rtk.call(raw.get_sessions, rtk.app_id, sort_by="minutesConsumed", sort_order="ASC")
    minutes = [s.minutes_consumed for s in by_minutes.data.sessions]
    assert minutes == sorted(minutes)
    started = datetime.fromisoformat(session.started_at.replace("Z", "+00:00"))
    assert one.id in session_ids(await rtk.call(raw.get_sessions, rtk.app_id, start_time=started))
    assert (
        session_ids(
            await rtk.call(raw.get_sessions, rtk.app_id, end_time=started - timedelta(milliseconds=1))
        )
        == []
    )
    assert session_ids(await rtk.call(raw.get_sessions, rtk.app_id, start_time=FAR_AHEAD)) == []

    details = await rtk.call(raw.get_session_details, session.id, app_id=rtk.app_id)
    assert details.data.ended_at is not None
    people = await rtk.call(raw.get_session_participants, session.id, app_id=rtk.app_id)
    assert [p.custom_participant_id for p in people.data.participants] == ["ada", "bob"]
    assert people.data.participants[0].peer_events is None
    searched = await rtk.call(raw.get_session_participants, session.id, app_id=rtk.app_id, search="bo")
    assert [p.display_name for p in searched.data.participants] == ["Bob"]
    with_events = await rtk.call(
        raw.get_session_participants, session.id, app_id=rtk.app_id, include_peer_events=True
    )
    events = with_events.data.participants[0].peer_events
    assert [e.event_name for e in events] == ["PEER_JOINING", "PEER_LEAVING"]
    assert events[0].preset_view_type == "GROUP_CALL"
    peer_id = people.data.participants[0].id
    for key in (peer_id, ada["id"]):  # a peer id or a participant id
        one_peer = await rtk.call(
            raw.get_session_participant_details,
            key,
            app_id=rtk.app_id,
            session_id=session.id,
            include_peer_events=True,
        )
        assert one_peer.data.participant.id == peer_id
        assert len(one_peer.data.participant.peer_events) == 2

    chat = await rtk.call(raw.get_session_chat, session.id, app_id=rtk.app_id)
    async with httpx.AsyncClient() as http:  # a plain GET, no auth header
        document = (await http.get(chat.data.chat_download_url)).text
    rows = list(csv.DictReader(io.StringIO(document)))
    assert [(r["displayName"], r["payload"]) for r in rows] == [("Ada", "hello from Algebra")]
    with pytest.raises(cloudflare.NotFoundError):
        await rtk.kit.sessions.get_session_chat("nope", account_id=rtk.account_id, app_id=rtk.app_id)
    with pytest.raises(cloudflare.BadRequestError):
        await rtk.kit.sessions.get_sessions(
            rtk.app_id, account_id=rtk.account_id, extra_query={"participants": "a"}
        )


async def test_webhooks(rtk):
    raw = rtk.kit.webhooks.with_raw_response
    made = (
        await rtk.call(
            raw.create_webhook,
            rtk.app_id,
            name="nb",
            url="https://example.test/hook",
            events=["meeting.chatSynced"],
        )
    ).data
    assert made.enabled is True
    assert (await rtk.call(raw.get_webhook_by_id, made.id, app_id=rtk.app_id)).data.url == made.url
    assert [w.id for w in (await rtk.call(raw.get_webhooks, rtk.app_id)).data] == [made.id]
    edited = await rtk.call(raw.edit_webhook, made.id, app_id=rtk.app_id, enabled=False)
    assert edited.data.enabled is False
    assert edited.data.name == "nb"
    replaced = await rtk.call(
        raw.replace_webhook,
        made.id,
        app_id=rtk.app_id,
        name="nb2",
        url="http://127.0.0.1:9/x",
        events=["meeting.started", "meeting.ended"],
    )
    assert replaced.data.events == ["meeting.started", "meeting.ended"]
    assert replaced.data.enabled
    assert (await rtk.call(raw.delete_webhook, made.id, app_id=rtk.app_id)).data.id == made.id
    assert (await rtk.call(raw.get_webhooks, rtk.app_id)).data == []
    with pytest.raises(cloudflare.BadRequestError):
        await rtk.kit.webhooks.create_webhook(
            rtk.app_id, account_id=rtk.account_id, name="x", url="ftp://x", events=["meeting.started"]
        )
