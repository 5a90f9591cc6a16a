"""Chat writes on one socket are pipelined (the next frame is read while one commits), yet
seq follows frame order, replies keep their order, and a read sees every write before it
(D10, docs/reliability.md)."""

from __future__ import annotations

import pytest
from conftest import create_meeting
from protocol_client import ProtoClient

from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.wire import chat_pb2
from rtk_widget.wire.envelope import parse_payload
from rtk_widget.wire.events import Event


@pytest.mark.parametrize("on_disk", [False, True])
async def test_burst_keeps_frame_order_and_read_your_writes(tmp_path, on_disk):
    config = ServerConfig(port=0, data_dir=tmp_path if on_disk else None, text_rate=10**6)
    async with MeetingServer(config) as server:
        meeting, (ada, bob) = await create_meeting(server, "ada", "bob")
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        b = await ProtoClient.connect(server.base_url, bob, meeting["id"])
        await a.join()
        await b.join()
        ids = []
        commits = server.parts.db.commits
        for i in range(200):  # no waiting for acks: a burst, as the SDK's fire-and-forget sends
            ids.append(
                await a.send_frame(
                    Event.SEND_MESSAGE_TO_ROOM, chat_pb2.SendChatMessageToRoomRequest(payload=f"m{i}")
                )
            )
            if i == 100:  # an edit of a message still committing lands after it
                ids.append(
                    await a.send_frame(
                        Event.EDIT_MESSAGE, chat_pb2.EditChatMessageRequest(chat_id="", payload="x")
                    )
                )
        page_id = await a.send_frame(
            Event.GET_PAGINATED_MESSAGES,
            chat_pb2.GetPaginatedChatMessageRoomRequest(size=500, reversed=False),
        )
        replies = [await a.expect(lambda f, rid=rid: f.id == rid) for rid in [*ids, page_id]]
        sends = [f for f in replies if f.event == Event.SEND_MESSAGE_TO_ROOM]
        messages = [parse_payload(chat_pb2.SendChatMessageToRoomResponse, f.payload).message for f in sends]
        assert [m.payload for m in messages] == [f"m{i}" for i in range(200)]
        assert [int(m.channel_index) for m in messages] == list(range(1, 201))
        if on_disk:  # pipelined: the burst shared fsyncs (one at a time would take at least 201);
            # in memory there is no fsync to share and every write commits as it runs
            assert server.parts.db.commits - commits < 150
        assert replies[101].event == Event.ERROR  # the bad edit: refused, nothing else disturbed
        page = parse_payload(chat_pb2.GetPaginatedChatMessageRoomResponse, replies[-1].payload)
        assert [m.payload for m in page.messages] == [f"m{i}" for i in range(200)]
        # the other participant got the pushes in the same order
        pushed = [
            parse_payload(
                chat_pb2.SendChatMessageToRoomResponse,
                (await b.expect_push(Event.SEND_MESSAGE_TO_ROOM)).payload,
            ).message.payload
            for _ in range(200)
        ]
        assert pushed == [f"m{i}" for i in range(200)]
        await a.close()
        await b.close()


@pytest.mark.parametrize("on_disk", [False, True])
async def test_a_read_in_a_burst_sees_exactly_the_writes_sent_before_it(tmp_path, on_disk):
    """Messages are handled as they are parsed unless one before them is still in hand: a read
    that waits (for the writes before it, then for the reader thread) holds back the frames
    after it, so no later write slips into its snapshot and replies keep the frames' order."""
    config = ServerConfig(port=0, data_dir=tmp_path if on_disk else None, text_rate=10**6)
    async with MeetingServer(config) as server:
        meeting, (ada,) = await create_meeting(server, "ada")
        a = await ProtoClient.connect(server.base_url, ada, meeting["id"])
        await a.join()
        sent: list[tuple[str, int]] = []  # (request id, writes sent before it)
        writes = 0
        for i in range(60):  # no waiting for answers: reads and writes interleaved in one burst
            if i % 3 == 2:
                request = chat_pb2.GetPaginatedChatMessageRoomRequest(size=500, reversed=False)
                sent.append((await a.send_frame(Event.GET_PAGINATED_MESSAGES, request), writes))
            else:
                request = chat_pb2.SendChatMessageToRoomRequest(payload=f"m{writes}")
                sent.append((await a.send_frame(Event.SEND_MESSAGE_TO_ROOM, request), writes))
                writes += 1
        ids = [rid for rid, _ in sent]
        last = await a.expect(lambda f: f.id == ids[-1])
        replies = [f for f in a.frames if f.id in ids] + [last]
        assert [f.id for f in replies] == ids  # every answer, in the order of the requests
        for frame, (_, before) in zip(replies, sent, strict=True):
            if frame.event == Event.GET_PAGINATED_MESSAGES:
                page = parse_payload(chat_pb2.GetPaginatedChatMessageRoomResponse, frame.payload)
                assert [m.payload for m in page.messages] == [f"m{k}" for k in range(before)]
        await a.close()
