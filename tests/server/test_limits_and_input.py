"""Limits, idempotent sends, malformed input, and the store after each failure."""

from __future__ import annotations

import asyncio

import pytest
from protocol_client import ProtoClient, RequestError, join_all

from rtk_widget.server import ServerConfig
from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.codes import ErrorCode
from rtk_widget.wire.envelope import encode_frame, parse_payload
from rtk_widget.wire.errors_pb2 import ErrorMessage
from rtk_widget.wire.events import Event


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, text_rate=5, file_rate=2, rate_window_s=30, max_frame_bytes=64 * 1024)


async def joined(server, make_meeting, *names):
    meeting, people = await make_meeting(*names)
    return meeting, await join_all(server.base_url, meeting["id"], people)


async def stored_count(server, meeting_id: str) -> int:
    return await server.parts.db.read(
        lambda c: c.execute("SELECT COUNT(*) FROM messages WHERE meeting_id = ?", (meeting_id,)).fetchone()[0]
    )


async def test_text_length_and_empty(server, make_meeting):
    meeting, (a,) = await joined(server, make_meeting, "ada")
    assert (await a.send_text("x" * 2000)).payload == "x" * 2000
    with pytest.raises(RequestError) as err:
        await a.send_text("x" * 2001)
    assert err.value.code == ErrorCode.TOO_LARGE
    with pytest.raises(RequestError) as err:
        await a.send_text("😀" * 1001)  # 2002 UTF-16 units, as the SDK counts
    assert err.value.code == ErrorCode.TOO_LARGE
    for empty in ("", "   \n"):
        with pytest.raises(RequestError) as err:
            await a.send_text(empty)
        assert err.value.code == ErrorCode.INVALID
    assert await stored_count(server, meeting["id"]) == 1
    assert (await a.send_text("still fine")).channel_index == "2"  # connection healthy, no seq gap
    await a.close()


async def test_bad_payloads_of_image_and_file(server, make_meeting):
    meeting, (a,) = await joined(server, make_meeting, "ada")
    for payload_type, payload in (
        (1, "javascript:alert(1)"),
        (1, ""),
        (2, "{}"),
        (2, "not json"),
        (2, '{"link":"https://x/y","name":"","size":1}'),
        (4, "poll"),
        (9, "x"),
    ):
        with pytest.raises(RequestError) as err:
            await a.send(payload_type, payload)
        assert err.value.code == ErrorCode.INVALID, (payload_type, payload)
    assert await stored_count(server, meeting["id"]) == 0
    await a.close()


async def test_rate_limit_with_retry_after(server, make_meeting):
    meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    for i in range(5):
        await a.send_text(f"t{i}")
    with pytest.raises(RequestError) as err:
        await a.send_text("one too many")
    assert err.value.code == ErrorCode.RATE_LIMITED
    assert 0 < err.value.retry_after_ms <= 30_000
    # files have their own budget; others have theirs
    await a.send(1, "https://example.com/a.png")
    await a.send(1, "https://example.com/b.png")
    with pytest.raises(RequestError) as err:
        await a.send(1, "https://example.com/c.png")
    assert err.value.code == ErrorCode.RATE_LIMITED
    # images and files are counted apart, as the SDK limits sendImageMessage and sendFileMessage
    await a.send(2, '{"link":"https://example.com/f.pdf","name":"f.pdf","size":1}')
    assert (await b.send_text("bob is fine")).channel_index == "9"
    assert await stored_count(server, meeting["id"]) == 9
    await a.close()
    await b.close()


async def test_idempotent_resend_serial_and_from_two_connections(server, make_meeting):
    meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    answers = [await a.send_text("once", request_id="env-1") for _ in range(20)]
    assert all(m == answers[0] for m in answers)
    # the same participant on a second connection, same envelope id, concurrently
    a2 = await ProtoClient.connect(server.base_url, a.participant, meeting["id"])
    await a2.join()
    more = await asyncio.gather(*[c.send_text("once", request_id="env-2") for c in (a, a2) for _ in range(5)])
    assert len({m.chat_id for m in more}) == 1
    assert len({m.channel_index for m in more}) == 1
    assert await stored_count(server, meeting["id"]) == 2
    # repeats were answered to the sender only: bob got exactly two pushes
    pushes = [await b.expect_push(Event.SEND_MESSAGE_TO_ROOM) for _ in range(2)]
    assert {
        parse_payload(chat_pb2.SendChatMessageToRoomResponse, p.payload).message.chat_id for p in pushes
    } == {answers[0].chat_id, more[0].chat_id}
    await b.request(Event.GET_ROOM_INFO)  # a round trip: any third push would have arrived before this reply
    assert b.no_frames(Event.SEND_MESSAGE_TO_ROOM)
    # the same envelope id from another user is another message
    other = await b.send_text("once", request_id="env-1")
    assert other.chat_id != answers[0].chat_id
    # a duplicate does not spend rate budget: 5 texts allowed, 3 used so far by ada
    await a.send_text("x")
    await a.send_text("y")
    for c in (a, a2, b):
        await c.close()


async def test_malformed_frames_keep_the_connection_usable(server, make_meeting):
    _meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    await a.ws.send(b"\xff\xff\xff")  # not a SocketMessage
    err = await a.expect(lambda f: f.event == Event.ERROR and f.id is None)
    assert parse_payload(ErrorMessage, err.payload).code == ErrorCode.MALFORMED
    await a.ws.send(encode_frame(Event.SEND_MESSAGE_TO_ROOM, "bad-1", b"\x12\xff"))  # truncated payload
    err = await a.expect(lambda f: f.id == "bad-1")
    assert err.event == Event.ERROR
    assert parse_payload(ErrorMessage, err.payload).code == ErrorCode.MALFORMED
    await a.ws.send("hello")  # stray text frames are ignored
    assert (await a.send_text("fine")).channel_index == "1"
    assert (await b.send_text("bob too")).channel_index == "2"
    await a.close()
    await b.close()


async def test_oversize_text_in_valid_frame_is_an_error_reply(server, make_meeting):
    _meeting, (a,) = await joined(server, make_meeting, "ada")
    with pytest.raises(RequestError) as err:
        await a.send_text("y" * 50_000)
    assert err.value.code == ErrorCode.TOO_LARGE
    assert (await a.send_text("ok")).channel_index == "1"
    await a.close()


async def test_oversize_frame_closes_1009_others_unaffected(server, make_meeting):
    """Also a compression bomb: the 70 KB frame travels deflated to a few hundred bytes."""
    meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    assert "permessage-deflate" in a.ws.response.headers["Sec-WebSocket-Extensions"]
    await a.ws.send(
        encode_frame(
            Event.SEND_MESSAGE_TO_ROOM, "big", chat_pb2.SendChatMessageToRoomRequest(payload="z" * 70_000)
        )
    )
    closed = await a.wait_closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1009
    assert (await b.send_text("still here")).channel_index == "1"
    assert await stored_count(server, meeting["id"]) == 1
    await b.close()


async def test_failed_requests_leave_no_trace(server, make_meeting):
    _meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    m = await b.send_text("bob's")
    rev_before = (await a.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(), sync_pb2.SyncResponse)).rev
    for event, request in (
        (Event.EDIT_MESSAGE, chat_pb2.EditChatMessageRequest(chat_id=m.chat_id, payload="")),
        (Event.EDIT_MESSAGE, chat_pb2.EditChatMessageRequest(chat_id=m.chat_id)),
        (Event.DELETE_MESSAGE, chat_pb2.DeleteChatMessageRequest(chat_id="missing")),
    ):
        with pytest.raises(RequestError):
            await b.request(event, request)
    after = await a.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(), sync_pb2.SyncResponse)
    assert after.rev == rev_before
    assert [x.payload for x in after.messages] == ["bob's"]
    await a.close()
    await b.close()


async def test_private_resend_is_answered_after_the_target_left(server, make_meeting):
    meeting, (a, b) = await joined(server, make_meeting, "ada", "bob")
    first = await a.send_private("psst", [b.peer_id], request_id="dm-1")
    await b.close()
    again = await a.send_private("psst", [b.peer_id], request_id="dm-1")
    assert again == first
    assert await stored_count(server, meeting["id"]) == 1
    await a.close()
