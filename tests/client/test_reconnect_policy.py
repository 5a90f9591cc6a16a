"""When the client retries and when it stops: every drop of a joined session starts a new outage,
an outage is bounded only if the user asks, a refused token stops at once with its reason, and
``reconnect()`` restarts a failed connection or ends a wait."""

from __future__ import annotations

import asyncio
import time

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from rtk_widget.client import (
    AuthenticationError,
    Backoff,
    ConnectionLostError,
    ConnectionState,
    NotJoinedError,
    connection,
)
from rtk_widget.client.connection import Connection, ConnectionInfo
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server import ServerConfig

from .helpers import Recorder, client_history, server_history, through, wait_until_async

QUICK = Backoff(base=0.01, cap=0.05, max_attempts=3)
"""Fast retries, and an outage of more than three failed attempts gives up."""


class Patient(Backoff):
    """Waits an hour before every attempt: only ``reconnect()`` can end the wait."""

    def delay(self, attempt: int) -> float:
        return 3600.0


def drops(recorder: Recorder) -> list[int]:
    """The attempt number announced right after each connected session dropped (recording from connected)."""
    states = [ConnectionState.CONNECTED] + [info.state for info in recorder.payloads]
    return [info.attempt for before, info in zip(states, recorder.payloads, strict=False)
            if before is ConnectionState.CONNECTED and info.state is ConnectionState.RECONNECTING]


async def test_each_drop_of_a_joined_session_starts_a_new_outage(server, proxy, make_meeting):
    _, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], backoff=QUICK)
    await a.join_async()
    infos = Recorder(a, "socketConnectionUpdate")
    for _ in range(8):  # far more drops than the outage limit of 3
        opened = proxy.accepted
        proxy.cut_all()
        await wait_until_async(a, "socketConnectionUpdate",
                               lambda opened=opened: proxy.accepted > opened
                               and a.connection_state is ConnectionState.CONNECTED)
    assert drops(infos) == [1] * 8
    assert a.connection_info.reason is None
    sent = await a.chat.send_text_message_async("still here")
    assert [m.id for m in a.chat.messages] == [sent.id]
    await a.leave_async()


async def test_an_outage_ends_in_failed_at_the_users_limit_and_reconnect_starts_again(
        server, proxy, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], backoff=QUICK)
    await a.join_async()
    infos = Recorder(a, "socketConnectionUpdate")
    proxy.refuse = True
    proxy.cut_all()
    await wait_until_async(a, "socketConnectionUpdate", lambda: a.connection_state is ConnectionState.FAILED)
    failed = a.connection_info
    assert failed.reason is not None
    assert failed.reason.startswith("gave up after 3 reconnection attempts")
    assert failed.next_attempt_at is None
    waits = [info for info in infos.payloads if info.next_attempt_at is not None]
    assert [info.attempt for info in waits] == [1, 2, 3]
    assert all(info.reason for info in waits)
    with pytest.raises(ConnectionLostError, match=r"reconnect\(\)"):
        await a.chat.send_text_message_async("into the void")

    proxy.refuse = False
    await a.reconnect_async()
    assert a.connection_state is ConnectionState.CONNECTED
    sent = await a.chat.send_text_message_async("back again")
    assert client_history(a) == await server_history(server, meeting["id"], ada["id"])
    assert [m.id for m in a.chat.messages] == [sent.id]
    await a.leave_async()


async def test_reconnect_ends_the_wait_between_attempts(server, proxy, make_meeting):
    _, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], backoff=Patient())
    await a.join_async()
    proxy.cut_all()
    await wait_until_async(a, "socketConnectionUpdate", lambda: a.connection_info.next_attempt_at is not None)
    assert a.connection_state is ConnectionState.RECONNECTING
    await asyncio.wait_for(a.reconnect_async(), 20)  # an hour's wait, cut short
    assert a.connection_state is ConnectionState.CONNECTED
    await a.reconnect_async()  # connected: nothing to do
    await a.leave_async()
    with pytest.raises(NotJoinedError):
        await a.reconnect_async()


async def test_a_removed_participant_stops_at_once_with_the_reason(server, proxy, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], backoff=Backoff())  # the default: no limit on attempts
    await a.join_async()
    await server.admin.delete_participant(meeting["id"], ada["id"])
    await wait_until_async(a, "socketConnectionUpdate", lambda: a.connection_state is ConnectionState.FAILED)
    reason = a.connection_info.reason
    assert reason is not None
    assert "4003" in reason
    assert "participant removed" in reason
    with pytest.raises(ConnectionLostError, match="4003"):
        await a.chat.send_text_message_async("am I still here?")
    opened = proxy.accepted
    with pytest.raises(AuthenticationError, match="4003"):
        await a.reconnect_async()
    assert proxy.accepted == opened + 1  # reconnect() tried once more, and the supervisor stopped again
    assert a.connection_state is ConnectionState.FAILED
    await a.leave_async()
    assert a.connection_state is ConnectionState.DISCONNECTED


async def test_after_the_machine_slept_a_dead_link_is_replaced_at_the_next_check(
        server, proxy, make_meeting, monkeypatch):
    _, (ada,) = await make_meeting("ada")
    a = through(proxy, ada["token"], ping_timeout=8.0)
    await a.join_async()
    # The laptop sleeps an hour: its link dies without a word, and the monotonic clock (which
    # stops during sleep) says no time passed; the wall clock says an hour did.
    proxy.stall_all()
    monkeypatch.setattr(connection, "wall_clock", lambda: time.time() + 3600)
    await wait_until_async(a, "socketConnectionUpdate", lambda: a.connection_info.reason is not None)
    reason = a.connection_info.reason
    assert reason.startswith("no answer from the server for 360")  # the hour, not 8 s of waiting
    assert reason.endswith("(ping timeout 8 s)")
    await wait_until_async(a, "socketConnectionUpdate",
                           lambda: a.connection_state is ConnectionState.CONNECTED)
    sent = await a.chat.send_text_message_async("awake")
    assert [m.id for m in a.chat.messages] == [sent.id]
    await a.leave_async()


@pytest.fixture
def server_config() -> ServerConfig:
    # Pings every 0.2 s: the server checks a live connection's token expiry at each ping.
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, ping_interval_s=0.2)


async def test_a_token_that_expires_on_a_live_connection_stops_it_with_the_reason(
        server, proxy, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    expires_soon = server.parts.tokens.issue(meeting["id"], ada["id"], ttl_s=3)
    a = through(proxy, expires_soon, backoff=Backoff())
    await a.join_async()
    await wait_until_async(a, "socketConnectionUpdate", lambda: a.connection_state is ConnectionState.FAILED,
                           within=30)
    reason = a.connection_info.reason
    assert reason is not None
    assert "4001" in reason
    assert "expired" in reason
    await a.leave_async()


async def test_an_upgrade_refused_with_http_401_stops_reconnecting():
    upgrades: list[str] = []

    def refuse_after_the_first(connection: ServerConnection, request: Request) -> Response | None:
        upgrades.append(request.path)
        return connection.respond(401, "token revoked\n") if len(upgrades) > 1 else None

    async def handler(ws: ServerConnection) -> None:
        await ws.close(1011, "gone for a moment")  # a drop: the client tries again, and is refused

    async with serve(handler, "127.0.0.1", 0, process_request=refuse_after_the_first) as upstream:
        port = upstream.sockets[0].getsockname()[1]

        async def until_failed() -> ConnectionInfo:
            failed = asyncio.Event()

            def on_state(info: ConnectionInfo) -> None:
                if info.state is ConnectionState.FAILED:
                    failed.set()

            async def on_open(reconnected: bool) -> None:
                return None

            connection = Connection(lambda: f"ws://127.0.0.1:{port}/ws", peer_id="peer",
                                    on_push=lambda frame: None, on_open=on_open, on_state=on_state,
                                    client_pings=False, backoff=Backoff())
            await connection.start()
            await failed.wait()
            return connection.info

        info = await asyncio.wait_for(get_runtime().run_async(until_failed()), 20)
    assert info.reason == "the server refused the token (HTTP 401)"
    assert len(upgrades) == 2  # joined once, refused once, and no attempt after that
