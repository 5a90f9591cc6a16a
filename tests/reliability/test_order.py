"""D6: five concurrent senders; everyone sees one order, that order is ``seq``, and each
sender's messages keep the order they were sent in (per-sender FIFO)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from protocol_client import ProtoClient

from rtk_widget.client import Meeting
from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.wire import chat_pb2
from rtk_widget.wire.envelope import Frame, parse_payload
from rtk_widget.wire.events import Event
from tests.client.helpers import FAST, wait_until_async

from .support import all_records, scale

SENDERS = ("ada", "bob", "cara", "dan", "eve")
PER_SENDER = 40 * scale()


@pytest.fixture
def server_config() -> ServerConfig:
    # Hundreds of sends in a second: lift the server's 180/min text limit for this module.
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=1_000_000)


@pytest.fixture
async def clients(server: MeetingServer, make_meeting: Any) -> AsyncIterator[tuple[dict[str, Any],
                                                                                list[Meeting]]]:
    """The five senders plus a silent observer, joined with the Python client."""
    meeting, people = await make_meeting(*SENDERS, "olga")
    joined = [Meeting(p["token"], base_url=server.base_url, backoff=FAST) for p in people]
    for client in joined:
        client.chat.update_rate_limits(1_000_000, 60)
        await client.join_async()
    yield meeting, joined
    for client in joined:
        await client.leave_async()


async def test_concurrent_senders_are_seen_in_one_order_equal_to_seq(server, clients):
    meeting, members = clients
    acks: dict[str, list[int]] = {}

    async def send_all(client: Meeting, name: str) -> None:
        seqs = acks.setdefault(name, [])
        for i in range(PER_SENDER):
            message = await client.chat.send_text_message_async(f"{name} {i}")
            assert message.seq is not None
            seqs.append(message.seq)

    await asyncio.gather(*(send_all(c, n) for c, n in zip(members, SENDERS, strict=False)))

    stored = await all_records(server, meeting["id"])
    total = len(SENDERS) * PER_SENDER
    assert [r.seq for r in stored] == list(range(1, total + 1))  # gap-free
    expected_ids = [r.id for r in stored]
    for client in members:
        await wait_until_async(client.chat, "chatUpdate",
                               lambda c=client: len(c.chat.messages) == total)
        assert [m.id for m in client.chat.messages] == expected_ids
        assert [m.seq for m in client.chat.messages] == list(range(1, total + 1))
    texts = [m.text for m in members[-1].chat.messages]
    for name in SENDERS:
        # FIFO per sender: acks in send order carry increasing seqs, and the shared order agrees.
        assert acks[name] == sorted(acks[name])
        assert [t for t in texts if t.split()[0] == name] == [f"{name} {i}" for i in range(PER_SENDER)]
    # Display time follows seq too (the server breaks same-millisecond ties by seq).
    assert all(a.created_ms < b.created_ms for a, b in itertools.pairwise(stored))


def message_of(frame: Frame) -> chat_pb2.ChatMessage:
    return parse_payload(chat_pb2.SendChatMessageToRoomResponse, frame.payload).message


async def test_pipelined_senders_keep_fifo_and_every_socket_hears_commit_order(server, make_meeting):
    """Each sender writes all its frames before reading any answer; the server must still
    answer them in order, and every socket must receive acks and pushes in ``seq`` order."""
    meeting, people = await make_meeting(*SENDERS, "olga")
    sockets = [await ProtoClient.connect(server.base_url, p, meeting["id"]) for p in people]
    for socket in sockets:
        await socket.join()
    senders, observer = sockets[:-1], sockets[-1]
    request = chat_pb2.SendChatMessageToRoomRequest

    async def fire(socket: ProtoClient, name: str) -> None:
        for i in range(PER_SENDER):
            await socket.send_frame(Event.SEND_MESSAGE_TO_ROOM, request(payload=f"{name} {i}"))

    await asyncio.gather(*(fire(s, n) for s, n in zip(senders, SENDERS, strict=False)))
    # Requests on one socket are answered in order: after these replies every send is committed,
    # and after the second round every push queued before it has arrived.
    for _ in range(2):
        for socket in sockets:
            await socket.request(Event.GET_ROOM_INFO)
    total = len(SENDERS) * PER_SENDER
    for socket, name in zip(sockets, [*SENDERS, "olga"], strict=True):
        # Everything this socket heard, acks and pushes interleaved, in arrival order.
        heard = [(f.id is not None, message_of(f)) for f in socket.frames
                 if f.event == Event.SEND_MESSAGE_TO_ROOM]
        assert len(heard) == total
        assert [int(m.channel_index) for _, m in heard] == list(range(1, total + 1))
        own = [m.payload for is_ack, m in heard if is_ack]
        assert own == ([f"{name} {i}" for i in range(PER_SENDER)] if socket is not observer else [])
    stored = await all_records(server, meeting["id"])
    assert [r.seq for r in stored] == list(range(1, total + 1))
    for socket in sockets:
        await socket.close()
