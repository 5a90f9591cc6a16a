"""Meetings attached to the program's own loop (``Meeting(loop=...)``): the ``*_async`` methods,
the socket, keep-alive, reconnection and uploads all run on the test's loop, callbacks too.

The server and the fault proxy run on the same loop, as in an asyncio program that hosts
everything itself; no blocking twin may be called here (they would deadlock, and refuse).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import pytest

from rtk_widget.client import ConnectionState, FileMessage, Meeting
from rtk_widget.client.events import LoopDispatcher, thread_dispatcher
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server import ServerConfig

from .helpers import FAST


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=1_000_000)


class LoopRecorder:
    """Payloads of one event, with the thread and the running loop of each callback."""

    def __init__(self, target: Any, event: str) -> None:
        self.payloads: list[Any] = []
        self.places: list[tuple[threading.Thread, asyncio.AbstractEventLoop | None]] = []
        self._changed = asyncio.Event()
        target.on(event, self._record)

    def _record(self, payload: Any) -> None:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.payloads.append(payload)
        self.places.append((threading.current_thread(), loop))
        self._changed.set()

    async def until(self, condition: Callable[[list[Any]], bool], within: float = 10.0) -> list[Any]:
        """Wait (on the loop) until ``condition(payloads)`` holds."""
        async def watch() -> None:
            while not condition(self.payloads):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(watch(), within)
        return self.payloads


def attached(token: str, base_url: str, **options: Any) -> Meeting:
    meeting = Meeting(token, base_url=base_url, loop=asyncio.get_running_loop(), backoff=FAST, **options)
    meeting.chat.update_rate_limits(1_000_000, 60)
    return meeting


async def test_two_meetings_on_one_loop_exchange_messages_and_call_back_on_it(server, make_meeting):
    _, (ada, bob) = await make_meeting("ada", "bob")
    loop = asyncio.get_running_loop()
    async with attached(ada["token"], server.base_url) as a, attached(bob["token"], server.base_url) as b:
        assert isinstance(b.dispatcher, LoopDispatcher)
        assert b.dispatcher.loop is loop
        heard_by_bob = LoopRecorder(b.chat, "newMessage")
        heard_by_ada = LoopRecorder(a.chat, "newMessage")
        sent = [await a.chat.send_text_message_async(f"ada {i}") for i in range(3)]
        reply = await b.chat.send_text_message_async("bob here")
        await heard_by_bob.until(lambda got: len(got) == 4)
        await heard_by_ada.until(lambda got: len(got) == 4)
        assert [m.id for m in heard_by_bob.payloads] == [m.id for m in [*sent, reply]]
        assert [m.text for m in a.chat.messages] == ["ada 0", "ada 1", "ada 2", "bob here"]
        assert [m.id for m in b.chat.messages] == [m.id for m in a.chat.messages]
        for recorder in (heard_by_bob, heard_by_ada):
            assert set(recorder.places) == {(threading.current_thread(), loop)}
        assert a._runtime.thread is None
        assert a._runtime.loop is loop


async def test_a_blocking_twin_on_the_loop_says_which_coroutine_to_await(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    async with attached(ada["token"], server.base_url) as a:
        refusal = r"Chat\.send_text_message\(\) would block the event loop"
        with pytest.raises(RuntimeError, match=refusal) as refused:
            a.chat.send_text_message("deadlock?")
        assert "await send_text_message_async(...)" in str(refused.value)
        with pytest.raises(RuntimeError, match=r"Meeting\.leave\(\).*await leave_async"):
            a.leave()
        assert a.joined
        assert a.chat.messages == []  # the refused send never ran


async def test_a_blocking_twin_from_another_thread_runs_on_the_attached_loop(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    async with attached(ada["token"], server.base_url) as a:
        sent = await asyncio.to_thread(a.chat.send_text_message, "from a worker thread")
        assert [m.id for m in a.chat.messages] == [sent.id]


async def test_a_blocking_twin_needs_the_attached_loop_running(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    idle = asyncio.new_event_loop()
    try:
        meeting = Meeting(ada["token"], base_url=server.base_url, loop=idle)
        with pytest.raises(RuntimeError, match=r"Meeting\.join\(\) needs the event loop .* is not running"):
            meeting.join()
        assert not meeting.joined
    finally:
        idle.close()


def test_a_loop_given_is_checked():
    with pytest.raises(TypeError, match=r"Meeting\(loop=...\) takes an asyncio event loop"):
        Meeting("x.eyJtZWV0aW5nSWQiOiJtIn0.x", loop="running")  # type: ignore[arg-type]


async def test_a_dropped_socket_reconnects_on_the_loop_and_catches_up(server, proxy, make_meeting):
    _, (ada, bob) = await make_meeting("ada", "bob")
    async with attached(ada["token"], proxy.base_url) as a, attached(bob["token"], server.base_url) as b:
        states = LoopRecorder(a, "socketConnectionUpdate")
        accepted = proxy.accepted
        assert proxy.cut_all() >= 1  # the socket (and the REST call's kept-alive connection)
        await states.until(lambda got: ConnectionState.RECONNECTING in [i.state for i in got])
        missed = await b.chat.send_text_message_async("sent while Ada was away")
        await states.until(lambda got: got[-1].state is ConnectionState.CONNECTED)
        news = LoopRecorder(a.chat, "newMessage")
        if missed.id not in [m.id for m in a.chat.messages]:
            await news.until(lambda got: missed.id in [m.id for m in got])
        again = await a.chat.send_text_message_async("back")
        assert [m.id for m in a.chat.messages] == [missed.id, again.id]
        assert proxy.accepted > accepted  # a new socket
        assert {thread for thread, _ in states.places} == {threading.current_thread()}


async def test_a_silently_dead_link_is_found_by_the_keepalive_on_the_loop(server, proxy, make_meeting):
    _, (ada,) = await make_meeting("ada")
    async with attached(ada["token"], proxy.base_url, ping_timeout=0.5) as a:
        states = LoopRecorder(a, "socketConnectionUpdate")
        assert proxy.stall_all() >= 1
        await states.until(lambda got: ConnectionState.RECONNECTING in [i.state for i in got])
        await states.until(lambda got: got[-1].state is ConnectionState.CONNECTED)
        reasons = [i.reason for i in states.payloads if i.state is ConnectionState.RECONNECTING]
        assert "no answer from the server" in str(reasons[0])  # the client's keep-alive cut it


async def test_files_upload_over_http_on_the_loop(server, make_meeting):
    _, (ada, bob) = await make_meeting("ada", "bob")
    async with attached(ada["token"], server.base_url) as a, attached(bob["token"], server.base_url) as b:
        news = LoopRecorder(b.chat, "newMessage")
        sent = await a.chat.send_file_message_async(b"one,two\n1,2\n", name="table.csv")
        [received] = await news.until(lambda got: len(got) == 1)
        assert isinstance(received, FileMessage)
        assert received.id == sent.id
        assert received.name == "table.csv"
        assert received.size == 12


async def test_leave_is_clean(server, make_meeting):
    _, (ada, bob) = await make_meeting("ada", "bob")
    async with attached(bob["token"], server.base_url) as b:
        people = LoopRecorder(b.participants, "participantLeft")
        a = attached(ada["token"], server.base_url)
        await a.join_async()
        states = LoopRecorder(a, "socketConnectionUpdate")
        left = LoopRecorder(a, "roomLeft")
        await a.leave_async()
        assert not a.joined
        assert a.connection_state is ConnectionState.DISCONNECTED
        await left.until(lambda got: len(got) == 1)
        await people.until(lambda got: any(p.user_id == ada["id"] for p in got))
        assert [i.state for i in states.payloads] == [ConnectionState.DISCONNECTED]
        mine = [t for t in asyncio.all_tasks() if t.get_name() == "rtk-widget-socket" and not t.done()]
        assert len(mine) == 1  # Bob's; Ada's socket task ended with her leave


PROGRAM = """
import asyncio, json, threading
from rtk_widget.client import Meeting
from rtk_widget.server import MeetingServer, ServerConfig

async def main():
    server = MeetingServer(ServerConfig(host="127.0.0.1", port=0, data_dir=None))
    await server.start()
    meeting = await server.admin.create_meeting(title="own loop")
    tokens = [(await server.admin.add_participant(meeting["id"], name=n, preset_name="group_call_host",
                                                  custom_participant_id=n))["token"] for n in ("Ada", "Bob")]
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    async with Meeting(tokens[0], base_url=server.base_url, loop=loop) as a, \\
            Meeting(tokens[1], base_url=server.base_url, loop=loop) as b:
        b.chat.on("newMessage", lambda m: got.set())
        await a.chat.send_text_message_async("hi")
        await asyncio.wait_for(got.wait(), 10)
        print(json.dumps(sorted({t.name for t in threading.enumerate()})))
    await server.stop()

asyncio.run(main())
"""


def test_attached_meetings_start_no_thread_of_rtk_widget():
    # A fresh interpreter: this test process may hold the network thread from other tests.
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAM)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    threads = json.loads(run.stdout.strip().splitlines()[-1])
    assert "MainThread" in threads
    assert not [name for name in threads if name.startswith("rtk-widget")], threads


async def test_the_embedded_server_stays_on_the_network_thread_for_an_attached_meeting():
    loop = asyncio.get_running_loop()
    host = Meeting.local("Ada", join=False, loop=loop)
    assert host._runtime.loop is loop
    await host.join_async()
    try:
        invitation = await host.invite_async("Bob")
        guest = Meeting(invitation.token, base_url=invitation.base_url, loop=loop)
        async with guest:
            news = LoopRecorder(guest.chat, "newMessage")
            sent = await host.chat.send_text_message_async("welcome")
            assert [m.id for m in await news.until(lambda got: len(got) == 1)] == [sent.id]
            assert guest.meeting_id == host.meeting_id
    finally:
        await host.leave_async()


def test_without_a_loop_meetings_keep_the_network_thread():
    meeting = Meeting.local("Ada", join=False)
    assert meeting._runtime is get_runtime()
    assert meeting._runtime.thread is not None
    assert meeting._runtime.thread.name == "rtk-widget-network"
    assert meeting.dispatcher is thread_dispatcher()


async def test_a_bot_on_the_loop_replies_without_blocking_it_and_never_answers_itself(server, make_meeting):
    _, (ada, bob) = await make_meeting("ada", "bob")
    async with attached(ada["token"], server.base_url) as a, attached(bob["token"], server.base_url) as b:
        seen_by_ada = LoopRecorder(a.chat, "newMessage")
        seen_by_bob = LoopRecorder(b.chat, "newMessage")
        answered: list[str] = []

        async def answer(message: Any) -> str:
            answered.append(message.text)
            return f"re: {message.text}"

        stop = b.chat.on_message(answer, include_own=True)
        await b.chat.send_text_message_async("own")  # answered: include_own
        await a.chat.send_text_message_async("hello")
        await seen_by_bob.until(lambda got: {"re: own", "re: hello"} <= {m.text for m in got})
        # The bot's turn for its own replies was queued before this marker's: once the marker is
        # answered, a reply to a reply would have been too.
        await b.chat.send_text_message_async("marker")
        await seen_by_ada.until(lambda got: "re: marker" in [m.text for m in got])
        assert answered == ["own", "hello", "marker"]
        replies = [m for m in a.chat.messages if m.text.startswith("re: ")]
        assert sorted(m.text for m in replies) == ["re: hello", "re: marker", "re: own"]
        assert {m.user_id for m in replies} == {bob["id"]}
        stop()
        await a.chat.send_text_message_async("after stop")
        await seen_by_bob.until(lambda got: "after stop" in [m.text for m in got])
        assert answered == ["own", "hello", "marker"]
