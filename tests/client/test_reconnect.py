"""Nothing lost, nothing doubled: random connection cuts, dropped acks, catch-up after a gap."""

from __future__ import annotations

import asyncio
import random

import pytest

from rtk_widget.client import ConnectionState, Meeting, RequestTimeoutError
from rtk_widget.server import ServerConfig
from rtk_widget.wire.events import Event

from .helpers import FAST, Recorder, client_history, server_history, through, wait_until_async

SENDS_PER_CLIENT = 1000
IN_FLIGHT = 8


@pytest.fixture
def server_config() -> ServerConfig:
    # Thousands of sends in seconds: lift the server's 180/min rate limit for this module.
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=1_000_000)


async def send_many(meeting: Meeting, name: str, count: int) -> list[str]:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int) -> str:
        async with gate:
            message = await meeting.chat.send_text_message_async(f"{name} {i}")
            return message.id

    return await asyncio.gather(*(one(i) for i in range(count)))


async def test_two_clients_converge_to_the_server_under_random_cuts(server, proxy, make_meeting):
    meeting, (ada, bob) = await make_meeting("ada", "bob")
    a, b = through(proxy, ada["token"]), through(proxy, bob["token"])
    await a.join_async()
    await b.join_async()
    states = Recorder(a, "socketConnectionUpdate")
    stop = asyncio.Event()

    async def chaos() -> None:
        rng = random.Random(20261125)
        while not stop.is_set():
            # Fault injection: the gap between cuts is the test's input, not a synchronization.
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            proxy.cut_all()

    cutter = asyncio.create_task(chaos())
    try:
        sent_a, sent_b = await asyncio.gather(send_many(a, "ada", SENDS_PER_CLIENT),
                                              send_many(b, "bob", SENDS_PER_CLIENT))
    finally:
        stop.set()
        await cutter

    expected = await server_history(server, meeting["id"], ada["id"])
    assert len(expected) == 2 * SENDS_PER_CLIENT
    assert len({payload for _, payload in expected}) == 2 * SENDS_PER_CLIENT  # no duplicate stored
    assert {mid for mid, _ in expected} == set(sent_a) | set(sent_b)  # every ack names the stored message
    for client in (a, b):
        await wait_until_async(client.chat, "chatUpdate", lambda c=client: client_history(c) == expected)
        assert client_history(client) == expected
        assert [m.seq for m in client.chat.messages] == sorted(m.seq for m in client.chat.messages)
    assert proxy.cuts >= 4
    assert ConnectionState.RECONNECTING in [u.state for u in states.payloads]
    await a.leave_async()
    await b.leave_async()


async def test_a_dropped_ack_is_resent_with_the_same_id_and_stored_once(server, proxy, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"])
    await a.join_async()
    budget = {"left": 5}
    seen_ids: list[str | None] = []

    def drop_first_ack(frame) -> bool:
        if frame.event == Event.SEND_MESSAGE_TO_ROOM and frame.id is not None:
            seen_ids.append(frame.id)
            if frame.id not in seen_ids[:-1] and budget["left"] > 0:
                budget["left"] -= 1
                return True
        return False

    proxy.drop_ack = drop_first_ack
    sent = [await a.chat.send_text_message_async(f"exactly once {i}") for i in range(5)]
    assert proxy.dropped_acks == 5
    # Each ack the client finally got answered a resend of the same envelope id.
    assert len(seen_ids) == 10
    assert all(seen_ids[2 * i] == seen_ids[2 * i + 1] for i in range(5))
    history = await server_history(server, meeting["id"], ada["id"])
    assert [payload for _, payload in history] == [f"exactly once {i}" for i in range(5)]
    assert [m.id for m in sent] == [mid for mid, _ in history]
    assert client_history(a) == history
    await a.leave_async()


async def test_a_missed_push_is_filled_by_catch_up(server, proxy, make_meeting):
    """Bob misses Ada's push (dropped by the proxy); the next push reveals the gap, sync fills it."""
    _meeting, (ada, bob) = await make_meeting("ada", "bob")
    a = Meeting(ada["token"], base_url=server.base_url, backoff=FAST)
    b = through(proxy, bob["token"])
    await a.join_async()
    await b.join_async()
    updates = Recorder(b.chat, "chatUpdate")
    proxy.drop_ack = lambda frame: frame.event == Event.SEND_MESSAGE_TO_ROOM and b.chat.messages == []
    first = await a.chat.send_text_message_async("you will miss this")
    second = await a.chat.send_text_message_async("and then see this")
    await wait_until_async(b.chat, "chatUpdate", lambda: len(b.chat.messages) == 2)
    assert [m.id for m in b.chat.messages] == [first.id, second.id]
    assert sorted(p.message.id for p in updates.wait_for(2)) == sorted([first.id, second.id])
    await a.leave_async()
    await b.leave_async()


async def test_an_unanswered_request_times_out(server, proxy, make_meeting):
    _, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], request_timeout=0.5)
    await a.join_async()
    proxy.blackhole = True
    with pytest.raises(RequestTimeoutError):
        await a.chat.fetch_public_messages_async()
    proxy.blackhole = False
    await a.leave_async()


async def test_without_sync_a_reconnect_refetches_what_was_missed(server, proxy, make_meeting):
    """RealtimeKit has no SYNC_CHANGES: after reconnecting, the client re-fetches public messages
    from its newest one on, and matches its own sends by content when no id comes back."""
    _, (ada, bob) = await make_meeting("ada", "bob")
    a = Meeting(ada["token"], base_url=server.base_url, backoff=FAST)
    b = through(proxy, bob["token"])
    await a.join_async()
    await b.join_async()
    b.chat.state.sync_supported = False  # behave as against RealtimeKit from here on
    first = await a.chat.send_text_message_async("seen live")
    await wait_until_async(b.chat, "chatUpdate", lambda: len(b.chat.messages) == 1)
    proxy.refuse = True
    proxy.cut_all()
    await wait_until_async(b, "socketConnectionUpdate",
                           lambda: b.connection_state is ConnectionState.RECONNECTING)
    missed = await a.chat.send_text_message_async("sent while Bob was away")
    whisper = await a.chat.send_text_message_async("and a private one", peer_ids=[bob["id"]])
    assert [m.id for m in b.chat.messages] == [first.id]
    proxy.refuse = False
    await wait_until_async(b.chat, "chatUpdate", lambda: len(b.chat.messages) == 3)
    assert [m.id for m in b.chat.messages] == [first.id, missed.id, whisper.id]
    own = await b.chat.send_text_message_async("matched by content or id")
    assert [m.id for m in b.chat.messages][-1] == own.id
    await a.leave_async()
    await b.leave_async()
