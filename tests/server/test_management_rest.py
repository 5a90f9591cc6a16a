"""Cloudflare-shaped management REST: auth, meetings, participants, presets, sessions, replay."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
from protocol_client import ProtoClient

from rtk_widget.wire import chat_pb2
from rtk_widget.wire.events import Event


async def test_auth_errors(server):
    async with httpx.AsyncClient(base_url=server.management_url) as http:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Basic {server.api_token}"},
        ):
            r = await http.get("/meetings", headers=headers)
            assert r.status_code == 401
            assert r.json()["success"] is False
            assert r.json()["error"]["code"] == 401
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_token}"}
    ) as http:
        r = await http.get("/client/v4/accounts/other/realtime/kit/local/meetings")
        assert r.status_code == 404
        assert r.json()["success"] is False


async def test_meeting_crud_and_paging(api):
    r = await api.post("/meetings", json={"title": "One", "persist_chat": True})
    assert r.status_code == 201
    one = r.json()["data"]
    assert one["title"] == "One"
    assert one["status"] == "ACTIVE"
    assert one["persist_chat"] is True
    assert one["created_at"].endswith("Z")
    for i in range(4):
        assert (await api.post("/meetings", json={"title": f"M{i}"})).status_code == 201
    assert (await api.get(f"/meetings/{one['id']}")).json()["data"] == one
    page = (await api.get("/meetings", params={"per_page": 2, "page_no": 2})).json()
    assert len(page["data"]) == 2
    assert page["paging"] == {"total_count": 5, "start_offset": 3, "end_offset": 4}
    found = (await api.get("/meetings", params={"search": "One"})).json()
    assert [m["id"] for m in found["data"]] == [one["id"]]
    patched = (
        await api.patch(f"/meetings/{one['id']}", json={"title": "Renamed", "status": "INACTIVE"})
    ).json()
    assert patched["data"]["title"] == "Renamed"
    assert patched["data"]["status"] == "INACTIVE"
    assert (await api.get("/meetings", params={"status": "INACTIVE"})).json()["paging"]["total_count"] == 1
    r = await api.get("/meetings/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json() == {
        "success": False,
        "error": {"code": 404, "message": "No meeting found with id 00000000-0000-0000-0000-000000000000"},
    }
    assert (await api.post("/meetings", content=b"{nope")).status_code == 400
    assert (await api.post("/meetings", json={"title": 5})).status_code == 400
    assert (await api.get("/meetings", params={"per_page": "x"})).status_code == 400


async def test_participant_crud_and_tokens(api, server):
    meeting = (await api.post("/meetings", json={"title": "P"})).json()["data"]
    base = f"/meetings/{meeting['id']}/participants"
    r = await api.post(
        base, json={"custom_participant_id": "u1", "preset_name": "group_call_participant", "name": "Ada"}
    )
    assert r.status_code == 201
    ada = r.json()["data"]
    assert ada["token"].startswith("eyJ")
    assert ada["preset_name"] == "group_call_participant"
    assert set(ada) >= {
        "id",
        "custom_participant_id",
        "preset_name",
        "name",
        "picture",
        "created_at",
        "updated_at",
    }
    got = (await api.get(f"{base}/{ada['id']}")).json()["data"]
    assert "token" not in got
    assert got["name"] == "Ada"
    listed = (await api.get(base)).json()
    assert [p["id"] for p in listed["data"]] == [ada["id"]]
    assert listed["paging"]["total_count"] == 1
    patched = (
        await api.patch(f"{base}/{ada['id']}", json={"name": "Ada L", "preset_name": "group_call_host"})
    ).json()
    assert patched["data"]["name"] == "Ada L"
    assert patched["data"]["token"]
    fresh = (await api.post(f"{base}/{ada['id']}/token")).json()["data"]["token"]
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"], token=fresh)
    joined = await client.join()
    assert joined.peer.display_name == "Ada L"
    await client.close()
    for body in ({"preset_name": "group_call_host"}, {"custom_participant_id": "x", "preset_name": "nope"}):
        assert (await api.post(base, json=body)).status_code == 400
    deleted = (await api.delete(f"{base}/{ada['id']}")).json()["data"]
    assert deleted["custom_participant_id"] == "u1"
    assert deleted["preset_id"]
    assert (await api.get(f"{base}/{ada['id']}")).status_code == 404
    assert (
        await api.post(
            "/meetings/nope/participants",
            json={"custom_participant_id": "x", "preset_name": "group_call_host"},
        )
    ).status_code == 404


async def test_presets(api):
    listed = (await api.get("/presets")).json()
    names = {p["name"] for p in listed["data"]}
    assert names == {"group_call_host", "group_call_participant", "livestream_host", "livestream_viewer"}
    viewer = next(p for p in listed["data"] if p["name"] == "livestream_viewer")
    full = (await api.get(f"/presets/{viewer['id']}")).json()["data"]
    assert full["config"]["view_type"] == "LIVESTREAM"
    assert full["permissions"]["media"]["video"]["can_produce"] == "NOT_ALLOWED"
    body = {
        "name": "quiet",
        "config": {"view_type": "AUDIO_ROOM"},
        "permissions": {
            "chat": {
                "public": {"can_send": False, "text": False, "files": False},
                "private": {"can_send": True, "can_receive": True, "text": True, "files": False},
            }
        },
        "ui": {},
    }
    r = await api.post("/presets", json=body)
    assert r.status_code == 201
    quiet = r.json()["data"]
    assert (await api.post("/presets", json=body)).status_code == 409
    assert (await api.post("/presets", json={"name": "x"})).status_code == 400
    patched = (
        await api.patch(f"/presets/{quiet['id']}", json={"config": {"view_type": "LIVESTREAM"}})
    ).json()
    assert patched["data"]["config"]["view_type"] == "LIVESTREAM"
    assert patched["data"]["name"] == "quiet"


async def test_sessions_lifecycle_and_chat_replay(api, server):
    # keep-alive 0: the session ends with the last leave (test_session_keep_alive covers the rest)
    meeting = (await api.post("/meetings", json={"title": "S", "session_keep_alive_time_in_secs": 0})).json()[
        "data"
    ]
    base = f"/meetings/{meeting['id']}/participants"
    people = [
        (
            await api.post(
                base, json={"custom_participant_id": n, "preset_name": "group_call_host", "name": n.title()}
            )
        ).json()["data"]
        for n in ("ada", "bob")
    ]
    assert (await api.get(f"/meetings/{meeting['id']}/active-session")).status_code == 404
    a = await ProtoClient.connect(server.base_url, people[0], meeting["id"])
    b = await ProtoClient.connect(server.base_url, people[1], meeting["id"])
    await a.join()
    live = (await api.get(f"/meetings/{meeting['id']}/active-session")).json()["data"]
    assert live["status"] == "LIVE"
    assert live["associated_id"] == meeting["id"]
    assert live["live_participants"] == 1
    await b.join()
    tricky = 'Hello, "world"\nsecond line'
    await a.send_text(tricky)
    await b.send_private("private", [a.peer_id])
    await b.send(2, '{"link":"https://x.test/f.pdf","name":"f.pdf","size":3}')
    gone = await a.send_text("deleted later")
    await a.request(Event.DELETE_MESSAGE, chat_pb2.DeleteChatMessageRequest(chat_id=gone.chat_id))
    await b.close()
    await a.expect_push(Event.LEAVE_ROOM)
    assert (await api.get(f"/sessions/{live['id']}")).json()["data"]["live_participants"] == 1
    await a.request(Event.LEAVE_ROOM)
    ended = (await api.get(f"/sessions/{live['id']}")).json()["data"]
    assert ended["status"] == "ENDED"
    assert ended["max_concurrent_participants"] == 2
    assert ended["ended_at"]
    assert (await api.get(f"/meetings/{meeting['id']}/active-session")).status_code == 404

    listed = (await api.get("/sessions", params={"associated_id": meeting["id"]})).json()
    assert [s["id"] for s in listed["data"]["sessions"]] == [live["id"]]
    peers = (await api.get(f"/sessions/{live['id']}/participants")).json()["data"]["participants"]
    assert {p["display_name"] for p in peers} == {"Ada", "Bob"}
    assert {p["id"] for p in peers} == {a.peer_id, b.peer_id}
    assert all(p["left_at"] for p in peers)
    one = (await api.get(f"/sessions/{live['id']}/participants/{a.peer_id}")).json()["data"]["participant"]
    assert one["user_id"] == people[0]["id"]

    # a second join starts a second session
    await a.join()
    again = (await api.get(f"/meetings/{meeting['id']}/active-session")).json()["data"]
    assert again["id"] != live["id"]
    await a.close()

    replay = (await api.get(f"/sessions/{live['id']}/chat")).json()["data"]
    assert datetime.fromisoformat(replay["chat_download_url_expiry"].replace("Z", "+00:00"))
    async with httpx.AsyncClient() as plain:  # no auth header: the signed URL is the capability
        r = await plain.get(replay["chat_download_url"])
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert (await plain.get(replay["chat_download_url"].replace("sig=", "sig=1"))).status_code == 403
    assert list(rows[0]) == [
        "id",
        "participantId",
        "sessionId",
        "meetingId",
        "displayName",
        "pinned",
        "isEdited",
        "payloadType",
        "payload",
        "createdAt",
    ]
    assert [r["payload"] for r in rows] == [tricky, '{"link":"https://x.test/f.pdf","name":"f.pdf","size":3}']
    assert [r["payloadType"] for r in rows] == ["TEXT_MESSAGE", "FILE_MESSAGE"]
    assert rows[0]["participantId"] == people[0]["id"]
    assert rows[0]["displayName"] == "Ada"
    assert rows[0]["sessionId"] == live["id"]
    assert rows[0]["meetingId"] == meeting["id"]
    assert rows[0]["pinned"] == "false"
    assert rows[0]["isEdited"] == "false"
    assert datetime.fromisoformat(rows[0]["createdAt"].replace("Z", "+00:00")).tzinfo is not None
    assert (await api.get("/sessions/nope/chat")).status_code == 404
