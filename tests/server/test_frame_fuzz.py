"""Hypothesis frame fuzz: the server never crashes; every frame is answered or the socket is
closed with a proper code, and other participants keep being served."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from protocol_client import socket_url
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, errors_pb2, room_pb2, sync_pb2
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import decode_frame, encode_frame
from rtk_widget.wire.events import Event
from tests.server.threaded import ThreadedServer

PROPER_CLOSE_CODES = {1002, 1003, 1007, 1008, 1009}
i32 = st.integers(-(2**31), 2**31 - 1)
u64 = st.integers(0, 2**64 - 1)
short_text = st.text(max_size=40)


class Live(ThreadedServer):
    """A threaded server, a meeting and a joined fuzzing socket."""

    def __init__(self) -> None:
        config = ServerConfig(port=0, max_frame_bytes=4096, text_rate=100_000, file_rate=100_000)
        super().__init__(config, "fuzzer", "bystander")
        self.ws: ClientConnection | None = None
        self.probes = 0
        self.closes: list[int] = []
        self.sockets = contextlib.ExitStack()

    def open(self, who: int = 0, peer: str = "fuzz-peer") -> ClientConnection:
        url = socket_url(self.server.base_url, self.people[who]["token"], self.meeting["id"], peer)
        ws = self.sockets.enter_context(connect(url, max_size=None, open_timeout=5))
        ws.send(encode_frame(Event.JOIN_ROOM, "join", room_pb2.JoinRoomRequest()))
        self.until(ws, "join")
        return ws

    def socket(self) -> ClientConnection:
        if self.ws is None:
            self.ws = self.open()
        return self.ws

    def until(self, ws: ClientConnection, request_id: str) -> list[Any]:
        """Frames received up to and including the reply with ``request_id``."""
        seen = []
        while True:
            data = ws.recv(timeout=10)
            if isinstance(data, str):
                continue  # keep-alive
            frame = decode_frame(data)
            seen.append(frame)
            if frame.id == request_id:
                return seen

    def stop(self) -> None:
        self.sockets.close()
        super().stop()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    env = Live()
    yield env
    env.stop()


def envelopes() -> st.SearchStrategy[bytes]:
    messages = st.one_of(
        st.builds(
            chat_pb2.SendChatMessageToRoomRequest,
            payload_type=st.integers(-3, 6),
            payload=st.text(max_size=80),
        ),
        st.builds(
            chat_pb2.SendChatMessageToPeersRequest,
            peer_ids=st.lists(short_text, max_size=3),
            payload_type=st.integers(-3, 6),
            payload=short_text,
        ),
        st.builds(chat_pb2.EditChatMessageRequest, chat_id=short_text, payload=short_text),
        st.builds(chat_pb2.DeleteChatMessageRequest, chat_id=short_text),
        st.builds(chat_pb2.PinChatMessageRequest, chat_id=short_text, pinned=st.booleans()),
        st.builds(
            chat_pb2.GetPaginatedChatMessageRoomRequest, time_stamp=u64, size=i32, reversed=st.booleans()
        ),
        st.builds(chat_pb2.SearchChatMessagesRequest, time_stamp=u64, size=i32, search_term=short_text),
        st.builds(sync_pb2.SyncRequest, after_rev=u64, limit=i32),
        st.builds(room_pb2.RoomPeersInfoRequest, seach_query=short_text, limit=i32, offset=i32),
    ).map(lambda m: m.SerializeToString())
    payloads = st.one_of(messages, st.binary(max_size=200), st.none())
    events = st.one_of(st.sampled_from([int(e) for e in Event]), st.integers(0, 2**32 - 1))
    ids = st.one_of(st.none(), st.text(max_size=30))
    return st.builds(encode_frame, events, ids, payloads)


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([*out, n])


def nested_groups(depth: int, field: int = 99) -> bytes:
    """An unknown field nesting ``depth`` protobuf groups (each level is 2 bytes)."""
    return _varint(field << 3 | 3) * depth + _varint(field << 3 | 4) * depth


def deep_json_payload(payload_type: int, depth: int) -> bytes:
    """A chat send whose payload opens ``depth`` JSON arrays: a byte a level, so deep enough
    within the 4 KiB frame cap to exceed even the recursion limit Hypothesis raises."""
    request = chat_pb2.SendChatMessageToRoomRequest(payload_type=payload_type, payload="[" * depth)
    return encode_frame(Event.SEND_MESSAGE_TO_ROOM, "nested-json", request)


def hostile_nesting() -> st.SearchStrategy[bytes]:
    """Deep nesting: protobuf groups in the envelope or a payload, JSON in file/custom payloads."""
    depths = st.integers(50, 1_500)
    chat_writes = st.sampled_from(
        [Event.SEND_MESSAGE_TO_ROOM, Event.SEND_MESSAGE_TO_PEERS, Event.EDIT_MESSAGE]
    )
    in_envelope = depths.map(nested_groups)
    in_payload = st.builds(
        lambda event, depth: encode_frame(event, "nested", nested_groups(depth)), chat_writes, depths
    )
    # file and custom payloads (types 2, 3) are JSON the server reads; under the 4 KiB frame cap
    json_payload = st.builds(deep_json_payload, st.sampled_from([2, 3]), st.integers(50, 4_000))
    return st.one_of(in_envelope, in_payload, json_payload)


frames = st.one_of(
    envelopes(),
    st.binary(max_size=300),
    st.text(max_size=50),
    st.binary(min_size=5000, max_size=6000),
    hostile_nesting(),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames)
@example(frame=nested_groups(1_500))
@example(frame=deep_json_payload(3, 4_000))
@example(frame=deep_json_payload(2, 4_000))
def test_every_frame_is_answered_or_closed_properly(live: Live, frame: bytes | str) -> None:
    ws = live.socket()
    live.probes += 1
    probe = f"probe-{live.probes}"
    try:
        ws.send(frame)
        ws.send(encode_frame(Event.GET_ROOM_INFO, probe))
        seen = live.until(ws, probe)
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else None
        assert code in PROPER_CLOSE_CODES, code
        live.closes.append(code)
        live.ws = None
        return
    for f in seen:
        if f.event == Event.ERROR:
            error = errors_pb2.ErrorMessage.FromString(f.payload)
            assert error.code != ErrorCode.INTERNAL, error.message
    if isinstance(frame, bytes):
        try:
            sent = decode_frame(frame)
        except ValueError:
            return
        if sent.id is not None and sent.id != probe:
            assert any(f.id == sent.id for f in seen), (sent, seen)  # answered before the probe


def test_after_the_fuzz_others_are_still_served(live: Live) -> None:
    other = live.open(who=1, peer="bystander-peer")
    other.send(
        encode_frame(Event.SEND_MESSAGE_TO_ROOM, "after", chat_pb2.SendChatMessageToRoomRequest(payload="ok"))
    )
    reply = next(f for f in live.until(other, "after") if f.id == "after")
    assert chat_pb2.SendChatMessageToRoomResponse.FromString(reply.payload).message.payload == "ok"
    other.close()
    assert set(live.closes) <= {1009}  # only oversize frames close the socket
    assert live.errors == []  # no exception was logged by the server
