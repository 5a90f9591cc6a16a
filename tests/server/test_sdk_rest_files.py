"""SDK-facing REST: participant details, ICE servers, uploads, the file host, CORS, catch-all."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from protocol_client import ProtoClient

from rtk_widget.server import ServerConfig
from rtk_widget.server.rest.files import ascii_filename, content_disposition
from rtk_widget.wire.events import Event

SDK_HEADERS = "authorization,traceparent,tracing-id,x-realtimekit-version"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, max_upload_bytes=100_000)


def auth(participant) -> dict[str, str]:
    return {"Authorization": f"Bearer {participant['token']}"}


async def upload(
    http: httpx.AsyncClient,
    participant,
    meeting_id: str,
    name: str,
    body: bytes,
    content_type: str = "application/octet-stream",
) -> dict[str, str]:
    r = await http.post(
        "/v2/meetings/chat-upload", json={"roomUUID": meeting_id, "filename": name}, headers=auth(participant)
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    put = await http.put(data["put_location"], content=body, headers={"Content-Type": content_type})
    assert put.status_code == 200, put.text
    return data


async def test_participant_details_shape(server, make_meeting):
    _meeting, (ada,) = await make_meeting("ada", preset_name="livestream_viewer")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.get("/v2/internals/participant-details", headers=auth(ada))
        assert r.status_code == 200
        body = r.json()
        assert body["success"] is True
        data = body["data"]
        assert data["participant"]["id"] == ada["id"]
        assert data["participant"]["name"] == "Ada"
        assert data["participant"]["custom_participant_id"] == "ada"
        assert data["participant"]["organization_id"] == server.config.app_id
        assert "picture" not in data["participant"]  # null fields are left out: the SDK throws on null
        preset = data["preset"]
        assert preset["name"] == "livestream_viewer"
        assert preset["config"]["view_type"] == "LIVESTREAM"
        chat = preset["permissions"]["chat"]
        assert set(chat["public"]) >= {"can_send", "text", "files"}
        assert set(chat["private"]) >= {"can_send", "can_receive", "text", "files"}
        assert preset["permissions"]["plugins"]["config"] == {}
        assert data["meeting"]["title"] == "Test meeting"
        netloc = urlsplit(server.base_url).netloc
        assert data["socket"] == {"base_uri": netloc, "url": f"ws://{netloc}/ws"}
        # an SDK-style host: api.<base> gives <base> back
        r = await http.get(
            "/v2/internals/participant-details", headers={**auth(ada), "Host": "api.rtk.localhost:1"}
        )
        assert r.json()["data"]["socket"]["base_uri"] == "rtk.localhost:1"
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = await http.get("/v2/internals/participant-details", headers=headers)
            assert r.status_code == 401
            assert r.json()["success"] is False
        r = await http.get("/v2/internals/participant-details", params={"authToken": ada["token"]})
        assert r.status_code == 200


async def test_public_base_uri_is_advertised():
    from conftest import create_meeting

    from rtk_widget.server import MeetingServer

    async with MeetingServer(ServerConfig(port=0, public_base_uri="rtk.localhost:8443")) as srv:
        meeting, (ada,) = await create_meeting(srv, "ada")
        async with httpx.AsyncClient(base_url=srv.base_url) as http:
            data = (await http.get("/v2/internals/participant-details", headers=auth(ada))).json()["data"]
            assert data["socket"] == {
                "base_uri": "rtk.localhost:8443",
                "url": "wss://socket-edge.rtk.localhost:8443/ws",
            }
            up = (
                await http.post(
                    "/v2/meetings/chat-upload",
                    json={"roomUUID": meeting["id"], "filename": "a.txt"},
                    headers=auth(ada),
                )
            ).json()["data"]
            assert up["get_location"].startswith("https://api.rtk.localhost:8443/files/")
            assert up["put_location"].startswith("https://api.rtk.localhost:8443/files/")


async def test_ice_servers_and_catch_all(server):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/iceservers")).json() == {"success": True, "iceServers": []}
        for method, path in (
            ("POST", "/otel/logs"),
            ("GET", "/"),
            ("GET", "/v2/meetings/x/active-livestream"),
            ("POST", "/api/v1/message"),
        ):
            r = await http.request(method, path, content=b"\x1f\x8b garbage")
            assert r.status_code == 200
            assert r.json() == {}
        r = await http.get("/client/v4/unknown")
        assert r.status_code == 404


async def test_upload_put_get_and_download_headers(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        data = await upload(http, ada, meeting["id"], 'résumé "final";\r\nX-Evil: 1.pdf', b"%PDF-1.4 hello")
        assert data["get_location"].startswith(server.base_url + "/files/")
        r = await http.get(data["get_location"])
        assert r.status_code == 200
        assert r.content == b"%PDF-1.4 hello"
        assert r.headers["content-type"] == "application/octet-stream"
        disposition = r.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="')
        assert "\r" not in disposition
        assert "\n" not in disposition
        assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B%0D%0AX-Evil%3A%201.pdf" in disposition
        assert "x-evil" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert r.headers["referrer-policy"] == "no-referrer"

        image = await upload(http, ada, meeting["id"], "pic.png", PNG, "text/html")
        r = await http.get(image["get_location"])
        assert r.headers["content-type"] == "image/png"  # from the magic bytes, not the upload's claim
        assert r.headers["content-disposition"].startswith("inline")
        fake = await upload(
            http, ada, meeting["id"], "fake.png", b"<html><script>alert(1)</script>", "image/png"
        )
        r = await http.get(fake["get_location"])
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["content-disposition"].startswith("attachment")


async def test_put_needs_a_valid_signature_and_happens_once(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.post(
            "/v2/meetings/chat-upload", json={"roomUUID": meeting["id"], "filename": "a"}, headers=auth(ada)
        )
        put = r.json()["data"]["put_location"]
        bad = put.replace("sig=", "sig=0")
        assert (await http.put(bad, content=b"x")).status_code == 403
        assert (await http.put(put.split("?")[0], content=b"x")).status_code == 403
        assert (await http.put(put, content=b"x")).status_code == 200
        assert (await http.put(put, content=b"y")).status_code == 409
        # chat-upload checks the room and the body
        r = await http.post(
            "/v2/meetings/chat-upload", json={"roomUUID": "other", "filename": "a"}, headers=auth(ada)
        )
        assert r.status_code == 403
        r = await http.post("/v2/meetings/chat-upload", json={"roomUUID": meeting["id"]}, headers=auth(ada))
        assert r.status_code == 400
        r = await http.post("/v2/meetings/chat-upload", json={"roomUUID": meeting["id"], "filename": "a"})
        assert r.status_code == 401


async def test_oversize_upload_is_aborted_without_leftovers(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    tmp = server.parts.files.tmp
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        for i in range(5):
            r = await http.post(
                "/v2/meetings/chat-upload",
                json={"roomUUID": meeting["id"], "filename": f"{i}"},
                headers=auth(ada),
            )
            put = r.json()["data"]["put_location"]

            async def chunks():
                for _ in range(50):
                    yield b"z" * 4096  # 200 KiB, streamed without a Content-Length

            r = await http.put(put, content=chunks())
            assert r.status_code == 413
        r = await http.put(put, content=b"z" * 200_000)  # declared too large: refused before reading
        assert r.status_code == 413
    assert list(tmp.iterdir()) == []
    stored = [p for p in server.parts.files.root.iterdir() if p.is_file()]
    assert stored == []


async def test_private_file_download_refused_to_non_audience(server, make_meeting):
    meeting, (ada, bob, cy) = await make_meeting("ada", "bob", "cy")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        data = await upload(http, ada, meeting["id"], "secret.txt", b"for bob")
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        await a.join()
        payload = '{{"link": "{}", "name": "secret.txt", "size": 7}}'.format(data["get_location"])
        await a.send_private(payload, [bob["id"]], payload_type=2)
        url = data["get_location"]
        assert (await http.get(url, headers=auth(bob))).status_code == 200
        assert (await http.get(url, headers=auth(ada))).status_code == 200
        assert (await http.get(url, headers=auth(cy))).status_code == 403
        assert (await http.get(url, params={"authToken": cy["token"]})).status_code == 403
        assert (await http.get(url, headers={"Authorization": "Bearer forged"})).status_code == 401
        # the capability URL alone (no identity) works, as RealtimeKit's presigned URLs do
        assert (await http.get(url)).status_code == 200
        # once also shared publicly, everyone identified may fetch it
        await a.send(2, payload)
        assert (await http.get(url, headers=auth(cy))).status_code == 200
        await a.close()


async def test_cors_preflight_and_simple_requests(server, make_meeting):
    _meeting, (ada,) = await make_meeting("ada")
    origin = "https://app.rtk.localhost:8443"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        r = await http.options(
            "/v2/internals/participant-details",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": SDK_HEADERS,
            },
        )
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == origin
        assert r.headers["access-control-allow-headers"] == SDK_HEADERS
        r = await http.options(
            "/files/abc",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert "PUT" in r.headers["access-control-allow-methods"]
        r = await http.get("/v2/internals/participant-details", headers={**auth(ada), "Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
        r = await http.get(
            "/client/v4/accounts/local/realtime/kit/local/meetings", headers={"Origin": origin}
        )
        assert "access-control-allow-origin" not in r.headers


def test_filename_helpers():
    assert ascii_filename("../../etc/passwd") == "passwd"
    assert ascii_filename("..\\a\\b.txt") == "b.txt"
    assert ascii_filename("...") == "download"
    assert ascii_filename("naïve café.txt") == "naive cafe.txt"
    assert content_disposition("attachment", "a.txt") == 'attachment; filename="a.txt"'
    assert (
        content_disposition("attachment", "日本.txt")
        == "attachment; filename=\"txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"
    )


async def test_image_message_links_are_checked_against_meeting(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
    await a.join()
    m = await a.send(1, "https://example.com/not-ours.png")
    assert m.payload_type == 1
    await a.request(Event.GET_ROOM_INFO)
    await a.close()
