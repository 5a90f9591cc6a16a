"""The wire layer against facts observed from the official SDK (docs/protocol.md)."""

import json

import pytest

from rtk_widget.wire.chat_pb2 import (
    ChatMessage,
    GetPaginatedChatMessageRoomRequest,
    PinChatMessageRequest,
    SendChatMessageToRoomRequest,
)
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import (
    MalformedFrameError,
    decode_frame,
    encode_error,
    encode_frame,
    parse_payload,
)
from rtk_widget.wire.errors_pb2 import ErrorMessage
from rtk_widget.wire.events import ERROR_EVENTS, Event
from rtk_widget.wire.room_pb2 import Peer


def test_event_numbers_match_the_sdk():
    observed = {
        Event.GET_ROOM_PEERS_INFO: 2, Event.JOIN_ROOM: 3, Event.LEAVE_ROOM: 4, Event.GET_ROOM_INFO: 5,
        Event.GET_CONNECTED_ROOMS_DUMP: 20, Event.GET_MESSAGES: 65536, Event.SEND_MESSAGE_TO_ROOM: 65537,
        Event.SEND_MESSAGE_TO_PEERS: 65538, Event.EDIT_MESSAGE: 65539, Event.DELETE_MESSAGE: 65540,
        Event.GET_PAGINATED_MESSAGES: 65541, Event.SEARCH_CHANNEL_MESSAGES: 65543, Event.PIN_MESSAGE: 65546,
        Event.PLUGIN_STORE_GET_KEYS: 131082, Event.MEDIA_JOIN_ROOM: 50331664, Event.ERROR: 65535,
    }
    for event, number in observed.items():
        assert event == number, event.name
    assert {int(e) for e in ERROR_EVENTS} == {65535, 16777276, 50331708}


def test_observed_pinned_page_request_decodes():
    # "08 <ts> 10 0a 20 01 32 02 08 01": ts, size=10, reversed=true, filters{pinned:true}
    timestamp = bytes.fromhex("a0b1c2d3e51f")  # a varint, as the SDK wrote a millisecond time
    raw = b"\x08" + timestamp + bytes.fromhex("100a2001320208 01".replace(" ", ""))
    request = parse_payload(GetPaginatedChatMessageRoomRequest, raw)
    assert request.size == 10
    assert request.reversed is True
    assert request.filters.WhichOneof("filters") == "pinned"
    assert request.time_stamp > 0


def test_observed_private_page_filter_is_user_id():
    # Private page request: filters {2: "user-bob"}, i.e. field 6 wrapping field 2.
    request = GetPaginatedChatMessageRoomRequest(size=5)
    request.filters.user_id = "user-bob"
    assert b"\x32\x0a\x12\x08user-bob" in request.SerializeToString()
    decoded = parse_payload(GetPaginatedChatMessageRoomRequest, request.SerializeToString())
    assert decoded.filters.user_id == "user-bob"


def test_observed_file_send_layout():
    # File message: "08 02" + field 2 = JSON
    body = json.dumps({"link": "https://x/f", "name": "notes.txt", "size": 3})
    raw = SendChatMessageToRoomRequest(payload_type=2, payload=body).SerializeToString()
    assert raw.startswith(b"\x08\x02\x12")
    # A text message omits payload_type 0, as proto3 does for defaults.
    assert SendChatMessageToRoomRequest(payload="hello from alice").SerializeToString()[0:1] == b"\x12"


def test_unpin_omits_pinned_field():
    assert PinChatMessageRequest(chat_id="m1", pinned=False).SerializeToString() == b"\x0a\x02m1"


def test_chat_message_field_numbers():
    fields = {f.name: f.number for f in ChatMessage.DESCRIPTOR.fields}
    assert fields == {
        "chat_id": 1, "peer_id": 2, "user_id": 3, "display_name": 4, "pinned": 5, "is_edited": 6,
        "payload_type": 7, "payload": 8, "target_user_ids": 10, "created_at": 11, "created_at_ms": 12,
        "channel_id": 13, "channel_index": 14, "rev": 100,
    }
    peer = {f.name: f.number for f in Peer.DESCRIPTOR.fields}
    assert peer["display_picture_url"] == 7
    assert peer["flags"] == 9


def test_envelope_round_trip_keeps_id_payload_and_metadata():
    raw = encode_frame(Event.JOIN_ROOM, "peer-1-abc", Peer(peer_id="p"), {"TRACEPARENT": "00-x"})
    frame = decode_frame(raw)
    assert frame.event == Event.JOIN_ROOM
    assert frame.id == "peer-1-abc"
    assert parse_payload(Peer, frame.payload).peer_id == "p"
    assert json.loads(frame.metadata or b"") == {"TRACEPARENT": "00-x"}


def test_envelope_without_id_decodes_as_none():
    assert decode_frame(encode_frame(Event.GET_ROOM_INFO)).id is None


def test_error_reply_carries_request_id_code_and_message():
    frame = decode_frame(encode_error("req-7", ErrorCode.RATE_LIMITED, "slow down", retry_after_ms=1500))
    assert frame.event == Event.ERROR
    assert frame.id == "req-7"
    error = parse_payload(ErrorMessage, frame.payload)
    assert (error.code, error.message, error.retry_after_ms) == (429, "slow down", 1500)


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff", b"\x0a\x05ab", b"\x08"])
def test_malformed_envelope_raises_precise_error(garbage):
    with pytest.raises(MalformedFrameError, match="not a SocketMessage"):
        decode_frame(garbage)


def test_malformed_payload_names_the_expected_type():
    with pytest.raises(MalformedFrameError, match=r"socket\.chat\.ChatMessage"):
        parse_payload(ChatMessage, b"\x0a\x09short")
