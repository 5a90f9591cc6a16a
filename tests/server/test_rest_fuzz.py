"""Hypothesis over the REST endpoints: any JSON body or query gets a 2xx/4xx answer in
RealtimeKit's envelope, never a 5xx, and nothing is logged as an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtk_widget.server import ServerConfig
from tests.server.threaded import ThreadedServer

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "title",
        "name",
        "preset_name",
        "custom_participant_id",
        "picture",
        "status",
        "persist_chat",
        "config",
        "permissions",
        "ui",
        "roomUUID",
        "filename",
        "expiry",
        "session_keep_alive_time_in_secs",
    ]
)
bodies = st.one_of(json_values, st.dictionaries(field_names, json_values, max_size=6))
queries = st.dictionaries(
    st.sampled_from(["page_no", "per_page", "search", "status", "associated_id", "sort_order"]),
    st.text(max_size=12),
    max_size=4,
)


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[ThreadedServer, httpx.Client, httpx.Client]]:
    threaded = ThreadedServer(ServerConfig(port=0), "ada")
    server = threaded.server
    api = httpx.Client(
        base_url=server.management_url, headers={"Authorization": f"Bearer {server.api_token}"}
    )
    sdk = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {threaded.people[0]['token']}"}
    )
    yield threaded, api, sdk
    api.close()
    sdk.close()
    threaded.stop()


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["success"] is False
        assert body["error"]["code"] == response.status_code


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(
    body=bodies,
    target=st.sampled_from(
        ["meeting", "participant", "patch_participant", "patch_meeting", "preset", "upload"]
    ),
)
def test_json_bodies(env: Any, body: Any, target: str) -> None:
    threaded, api, sdk = env
    meeting_id = threaded.meeting["id"]
    participant = f"/meetings/{meeting_id}/participants"
    ada = threaded.people[0]["id"]
    if target == "meeting":
        response = api.post("/meetings", json=body)
    elif target == "participant":
        response = api.post(participant, json=body)
    elif target == "patch_participant":
        response = api.patch(f"{participant}/{ada}", json=body)
    elif target == "patch_meeting":
        response = api.patch(f"/meetings/{meeting_id}", json=body)
        api.patch(f"/meetings/{meeting_id}", json={"status": "ACTIVE"})
    elif target == "preset":
        response = api.post("/presets", json=body)
    else:
        response = sdk.post("/v2/meetings/chat-upload", json=body)
    check(response)
    if target == "patch_participant" and response.status_code == 200:
        api.patch(f"{participant}/{ada}", json={"preset_name": "group_call_host", "name": "ada"})
    assert threaded.errors == []


@SETTINGS
@given(query=queries, path=st.sampled_from(["/meetings", "/presets", "/sessions"]))
def test_list_queries(env: Any, query: dict[str, str], path: str) -> None:
    threaded, api, _ = env
    check(api.get(path, params=query))
    assert threaded.errors == []


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_non_json_bodies(env: Any, raw: bytes) -> None:
    threaded, api, sdk = env
    check(api.post("/meetings", content=raw, headers={"Content-Type": "application/json"}))
    check(sdk.post("/v2/meetings/chat-upload", content=raw, headers={"Content-Type": "application/json"}))
    assert threaded.errors == []


def nested(depth: int, openings: str) -> bytes:
    """``depth`` levels cycling through ``openings`` ("[" and/or "{"), closed in order."""
    opens = [openings[i % len(openings)] for i in range(depth)]
    head = "".join('{"a":' if o == "{" else "[" for o in opens)
    tail = "".join("}" if o == "{" else "]" for o in reversed(opens))
    return (head + "1" + tail).encode()


hostile_bodies = st.one_of(
    st.builds(nested, st.integers(65, 10_000), st.sampled_from(["[", "{", "[{"])),  # too deep
    st.builds(lambda depth: b"[" * depth, st.integers(65, 60_000)),  # too deep, never closed
    st.builds(lambda d: b'{"name": ' + nested(d, "[") + b"}", st.integers(65, 5_000)),  # deep in a field
    st.builds(lambda n: b'{"title": "' + b"x" * n + b'"}', st.integers(64 * 1024, 80 * 1024)),  # too large
)


@settings(SETTINGS, max_examples=60)
@given(
    raw=hostile_bodies,
    target=st.sampled_from(
        ["meeting", "patch_meeting", "participant", "patch_participant", "preset", "webhook", "upload"]
    ),
)
def test_deep_and_oversize_bodies(env: Any, raw: bytes, target: str) -> None:
    threaded, api, sdk = env
    meeting_id = threaded.meeting["id"]
    ada = threaded.people[0]["id"]
    json_type = {"Content-Type": "application/json"}
    paths = {
        "meeting": ("POST", "/meetings"),
        "patch_meeting": ("PATCH", f"/meetings/{meeting_id}"),
        "participant": ("POST", f"/meetings/{meeting_id}/participants"),
        "patch_participant": ("PATCH", f"/meetings/{meeting_id}/participants/{ada}"),
        "preset": ("POST", "/presets"),
        "webhook": ("POST", "/webhooks"),
    }
    if target == "upload":
        response = sdk.post("/v2/meetings/chat-upload", content=raw, headers=json_type)
    else:
        method, path = paths[target]
        response = api.request(method, path, content=raw, headers=json_type)
    check(response)
    assert response.status_code in (400, 413), response.text
    assert threaded.errors == []


raw_queries = st.lists(
    st.tuples(
        st.sampled_from(["page_no", "per_page", "search", "status", "start_time", "sort_order", "authToken"]),
        st.one_of(st.binary(max_size=40), st.builds(lambda n: b"9" * n, st.integers(4_000, 6_000))),
    ),
    max_size=40,  # repeated names included; the whole head stays under the 8 KiB head limit
)


@SETTINGS
@given(pairs=raw_queries, path=st.sampled_from(["/meetings", "/sessions", "/presets"]))
def test_query_strings_of_any_bytes(env: Any, pairs: list[tuple[str, bytes]], path: str) -> None:
    """Percent-encoded bytes that are not UTF-8, numbers past int()'s digit limit, repeats."""
    threaded, api, sdk = env
    query = "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs)
    if len(query) > 7_000:
        query = query[:7_000].rsplit("&", 1)[0]
    check(api.get(f"{path}?{query}"))
    check(sdk.get(f"/v2/internals/participant-details?{query}"))
    assert threaded.errors == []
