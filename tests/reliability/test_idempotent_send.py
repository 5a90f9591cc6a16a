"""D1: one envelope id is one message, however often and from however many sockets it is sent.

Matrix semantics: a repeat is answered with the original message (same id, same seq) even
when its content differs; only the first content is stored; nobody else hears a repeat.
The server keeps its default rate limit (180 texts a minute): repeats must not spend it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from protocol_client import ProtoClient

from rtk_widget.server import MeetingServer
from rtk_widget.wire import chat_pb2, sync_pb2
from rtk_widget.wire.envelope import parse_payload
from rtk_widget.wire.events import Event

from .support import all_records, scale

REPEATS = 1000 * scale()


async def joined(server: MeetingServer, meeting: dict[str, Any], participant: dict[str, Any]) -> ProtoClient:
    client = await ProtoClient.connect(server.base_url, participant, meeting["id"])
    await client.join()
    return client


async def room_pushes_after_round_trip(observer: ProtoClient) -> list[chat_pb2.ChatMessage]:
    """Every message push the observer has, once a round trip proves earlier pushes arrived."""
    await observer.request(Event.GET_ROOM_INFO)
    pushes = [f for f in observer.frames if f.event == Event.SEND_MESSAGE_TO_ROOM and f.id is None]
    return [parse_payload(chat_pb2.SendChatMessageToRoomResponse, f.payload).message for f in pushes]


def ack_identity(message: chat_pb2.ChatMessage) -> tuple[str, str, int, int, str]:
    return message.chat_id, message.channel_index, message.rev, message.created_at_ms, message.payload


async def test_a_thousand_serial_repeats_store_one_message_with_the_first_content(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    sender, observer = await joined(server, meeting, ada), await joined(server, meeting, bob)
    acks = []
    for i in range(REPEATS):
        content = "the first content" if i == 0 else f"altered content {i}"
        acks.append(await sender.send_text(content, request_id="envelope-serial"))

    assert {ack_identity(a) for a in acks} == {ack_identity(acks[0])}
    assert acks[0].payload == "the first content"
    assert acks[0].channel_index == "1"
    stored = await all_records(server, meeting["id"])
    assert [(r.id, r.payload, r.seq) for r in stored] == [(acks[0].chat_id, "the first content", 1)]
    assert [m.chat_id for m in await room_pushes_after_round_trip(observer)] == [acks[0].chat_id]
    # The repeats spent no rate budget and no revision: the next send is seq 2, rev 2.
    fresh = await sender.send_text("a new envelope")
    assert (fresh.channel_index, fresh.rev) == ("2", 2)
    await sender.close()
    await observer.close()


async def test_repeats_racing_on_two_sockets_of_one_participant_store_one_message(server, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    first, second = await joined(server, meeting, ada), await joined(server, meeting, ada)
    observer = await joined(server, meeting, bob)
    per_socket = REPEATS // 2
    request = chat_pb2.SendChatMessageToRoomRequest

    async def fire(client: ProtoClient, name: str) -> None:
        # Pipelined: every frame is written before any answer is read, so the two sockets'
        # requests interleave in the server's handlers and its writer batches.
        for i in range(per_socket):
            await client.send_frame(Event.SEND_MESSAGE_TO_ROOM, request(payload=f"{name} #{i}"),
                                    request_id="envelope-raced")

    async def answers(client: ProtoClient) -> list[chat_pb2.ChatMessage]:
        frames = [await client.expect(lambda f: f.id == "envelope-raced", within=30)
                  for _ in range(per_socket)]
        assert {f.event for f in frames} == {Event.SEND_MESSAGE_TO_ROOM}, "a repeat was refused"
        return [parse_payload(chat_pb2.SendChatMessageToRoomResponse, f.payload).message for f in frames]

    await asyncio.gather(fire(first, "first socket"), fire(second, "second socket"))
    acks = [*await answers(first), *await answers(second)]

    assert len(acks) == REPEATS
    assert {ack_identity(a) for a in acks} == {ack_identity(acks[0])}
    # Whichever socket won, its *first* frame's content is the one kept.
    assert acks[0].payload in ("first socket #0", "second socket #0")
    stored = await all_records(server, meeting["id"])
    assert [(r.id, r.payload) for r in stored] == [(acks[0].chat_id, acks[0].payload)]
    assert [m.chat_id for m in await room_pushes_after_round_trip(observer)] == [acks[0].chat_id]
    sync = await observer.call(Event.SYNC_CHANGES, sync_pb2.SyncRequest(after_rev=0, limit=100),
                               sync_pb2.SyncResponse)
    assert ([m.chat_id for m in sync.messages], sync.rev) == ([acks[0].chat_id], 1)
    for client in (first, second, observer):
        await client.close()
