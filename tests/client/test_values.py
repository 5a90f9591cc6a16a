"""Messages as values, tokens and URLs, exactly as the SDK shapes them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from rtk_widget.client import AuthenticationError, CustomMessage, FileMessage, ImageMessage, TextMessage
from rtk_widget.client.messages import from_proto
from rtk_widget.client.urls import endpoints_for_base_uri, endpoints_for_base_url, parse_token
from rtk_widget.wire.chat_pb2 import ChatMessage


def proto(**fields: object) -> ChatMessage:
    base = {"chat_id": "c1", "peer_id": "p1", "user_id": "u1", "display_name": "Ada",
            "created_at": 1_700_000_000}
    return ChatMessage(**{**base, **fields})  # type: ignore[arg-type]


def test_from_proto_follows_format_socket_peer_message():
    text = from_proto(proto(payload="hi", created_at_ms=1_700_000_000_123, channel_index="7", rev=9,
                            pinned=True, is_edited=True, target_user_ids=["u2", "u1"]))
    assert isinstance(text, TextMessage)
    assert text.text == text.message == "hi"
    assert text.time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert (text.time_ms, text.seq, text.rev, text.peer_id) == (1_700_000_000_123, 7, 9, "p1")
    assert text.pinned
    assert text.is_edited
    assert text.is_private
    assert text.target_user_ids == ("u2", "u1")
    rtk = from_proto(proto(payload="from RealtimeKit"))
    assert (rtk.seq, rtk.rev, rtk.time_ms) == (None, None, 1_700_000_000_000)
    image = from_proto(proto(payload_type=1, payload="https://x/y.png"))
    assert isinstance(image, ImageMessage)
    assert image.link == "https://x/y.png"
    file = from_proto(proto(payload_type=2, payload='{"link":"https://x/f","name":"f.pdf","size":12}'))
    assert isinstance(file, FileMessage)
    assert (file.link, file.name, file.size) == ("https://x/f", "f.pdf", 12)
    custom = from_proto(proto(payload_type=3, payload='{"type":"custom","message":"m","html":"<b>"}'))
    assert isinstance(custom, CustomMessage)
    assert custom.message == "m"
    assert custom.data["html"] == "<b>"


def test_to_json_is_the_sdks_camel_case_shape():
    file = from_proto(proto(payload_type=2, payload='{"link":"https://x/f","name":"f.pdf","size":12}',
                            created_at_ms=1_700_000_000_123))
    assert file.to_json() == {
        "id": "c1", "type": "file", "userId": "u1", "displayName": "Ada",
        "time": "2023-11-14T22:13:20.123000Z",
        "timeMs": 1_700_000_000_123, "isEdited": False, "read": False, "pluginId": None, "pinned": False,
        "targetUserIds": [], "link": "https://x/f", "name": "f.pdf", "size": 12,
    }
    assert json.loads(file.payload) == {"link": "https://x/f", "name": "f.pdf", "size": 12}
    with pytest.raises(AttributeError):
        file.name = "changed"  # type: ignore[misc]


def encode(claims: dict[str, str], alphabet: str = "standard") -> str:
    raw = json.dumps(claims).encode()
    body = base64.urlsafe_b64encode(raw) if alphabet == "url" else base64.b64encode(raw)
    return f"eyJhbGciOiJIUzI1NiJ9.{body.decode().rstrip('=')}.sig"


def test_token_parsing_is_the_sdks_atob():
    claims = parse_token(encode({"meetingId": "m1", "orgId": "o1", "participantId": "p1", "extra": "x"}))
    assert (claims.meeting_id, claims.org_id, claims.participant_id) == ("m1", "o1", "p1")
    assert parse_token(encode({"meetingId": "m2"})).participant_id is None
    with pytest.raises(AuthenticationError, match="meetingId"):
        parse_token(encode({"participantId": "p1"}))
    # atob rejects the URL-safe alphabet, so such a payload fails like in the SDK.
    tricky = {"meetingId": "m", "x": ">>>???"}
    assert "-" in encode(tricky, alphabet="url").split(".")[1]
    assert parse_token(encode(tricky)).meeting_id == "m"
    with pytest.raises(AuthenticationError, match="base64"):
        parse_token(encode(tricky, alphabet="url"))


def test_urls_for_realtimekit_and_for_our_server():
    cloud = endpoints_for_base_uri("realtime.cloudflare.com", "realtime.cloudflare.com")
    assert cloud.api_base == "https://api.realtime.cloudflare.com"
    assert cloud.cloudflare
    url = cloud.socket_url("meet-1", "peer-1", "tok")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("wss", "socket-edge.realtime.cloudflare.com", "/ws")
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        ("roomID", "meet-1"), ("peerID", "peer-1"), ("authToken", "tok"), ("useMediaV2", "true"),
        ("capabilities", ""), ("joinWithDetails", "true"), ("useCfWorker", "true"),
        ("useStartSession", "true")]
    staging = endpoints_for_base_uri("rtk.localhost:8443", "rtk.localhost:8444")
    query = dict(parse_qsl(urlsplit(staging.socket_url("m", "p", "t")).query, keep_blank_values=True))
    assert staging.socket_base == "wss://socket-edge.rtk.localhost:8444"
    assert not staging.cloudflare
    assert (query["ping"], query["capabilities"]) == ("true", "2")
    ours = endpoints_for_base_url("https://chat.example.test:8443/")
    assert (ours.api_base, ours.socket_base) == ("https://chat.example.test:8443", "wss://chat.example.test:8443")
    with pytest.raises(ValueError, match="no longer supported"):
        endpoints_for_base_uri("api.dyte.io", None)
    with pytest.raises(ValueError, match="base_url"):
        endpoints_for_base_url("127.0.0.1:8080")
