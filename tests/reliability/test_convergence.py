"""D7: convergence in Zulip's ``verify_action`` style, as a hypothesis state machine.

Three participants (two hosts, one plain participant) each use the Python client through
their own fault proxy. Rules send public and private messages, edit, delete, pin and unpin
(also when not allowed: the typed error must come back and nothing change), drop a
connection (it reconnects at once) or take a participant offline for several steps while
the others go on. After every step, once each online client is caught up (connected, a
round trip done, then waiting on ``chatUpdate`` for the expected state), its
``chat.messages`` must equal the model's view for that participant, and so must the
server's store; at the end of each example a fresh client of every participant must load
exactly that view too. Private messages thereby appear only for their audience.

Size: ``max_examples=25``, ``stateful_step_count=30`` in CI. ``RTK_RELIABILITY_SCALE=N``
runs ``25*N`` examples of 50 steps (nightly: N=20 gives 500 x 50).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rtk_widget.client import ConnectionState, Meeting
from rtk_widget.client.runtime import Runtime
from rtk_widget.server import MeetingServer, ServerConfig
from tests.client.helpers import FAST, wait_until
from tests.client.proxy import FaultProxy

from .convergence_model import ChatModel, ModelMessage, Outcome, Person
from .support import Shown, scale, shown_by_client, shown_by_server, visible_records

T = TypeVar("T")
CAST = (("ada", "group_call_host"), ("bob", "group_call_host"), ("cara", "group_call_participant"))
TEXT = st.text(alphabet="abz É🙂 ", min_size=0, max_size=8)
CATCH_UP_WITHIN = 5.0  # generous: only a failing example ever waits this long


@dataclass
class Backend:
    """The server (and the proxies) on their own event-loop thread, apart from the clients'."""

    runtime: Runtime
    server: MeetingServer

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runtime.run(coro, timeout=30)


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    runtime = Runtime()
    server = MeetingServer(ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=1_000_000))
    runtime.run(server.start())
    try:
        yield Backend(runtime, server)
    finally:
        runtime.run(server.stop())
        runtime.loop.call_soon_threadsafe(runtime.loop.stop)


@dataclass
class Seat:
    """One participant: the model's person, its client and the proxy its socket goes through."""

    person: Person
    token: str
    proxy: FaultProxy
    client: Meeting
    online: bool = True


class Convergence(RuleBasedStateMachine):
    backend: ClassVar[Backend]
    seen: ClassVar[Counter[str]] = Counter()  # what the run exercised, over all examples
    messages = Bundle("messages")

    def __init__(self) -> None:
        super().__init__()
        self.model = ChatModel()
        self.seats: list[Seat] = []
        self.meeting_id = ""
        self.counter = 0

    # ----- setup and teardown -----

    @initialize()
    def open_meeting(self) -> None:
        server = self.backend.server
        meeting = self.backend.call(server.admin.create_meeting(title="convergence"))
        self.meeting_id = meeting["id"]
        for name, preset in CAST:
            added = self.backend.call(server.admin.add_participant(
                self.meeting_id, name=name.title(), preset_name=preset, custom_participant_id=name))
            proxy = FaultProxy(server.port or 0)
            self.backend.call(proxy.start())
            client = Meeting(added["token"], base_url=proxy.base_url, backoff=FAST)
            client.chat.update_rate_limits(1_000_000, 60)
            person = Person(name, added["id"], preset.endswith("_host"))
            self.seats.append(Seat(person, added["token"], proxy, client))
            client.join()

    def teardown(self) -> None:
        try:
            if self.seats:
                for seat in self.seats:
                    if not seat.online:
                        self._reconnect(seat)
                self.caught_up()
                for seat in self.seats:
                    self._fresh_client_agrees(seat)
        finally:
            for seat in self.seats:
                seat.client.leave()
                self.backend.call(seat.proxy.stop())

    def _fresh_client_agrees(self, seat: Seat) -> None:
        fresh = Meeting(seat.token, base_url=self.backend.server.base_url, backoff=FAST)
        fresh.join()
        try:
            assert [shown_by_client(m) for m in fresh.chat.messages] == self.model.view(seat.person)
        finally:
            fresh.leave()

    # ----- choosing who acts -----

    def _online(self, pick: int) -> Seat:
        online = [s for s in self.seats if s.online]
        return online[pick % len(online)]

    def _text(self, suffix: str) -> str:
        self.counter += 1
        return f"{self.counter}:{suffix}"

    def _expect(self, what: str, outcome: Outcome, action: Any) -> Any:
        self._saw(f"{what}: {outcome.value}")
        error = outcome.error
        if error is None:
            return action()
        with pytest.raises(error):
            action()
        return None

    def _saw(self, what: str) -> None:
        event(what)
        self.seen[what] += 1

    # ----- rules -----

    @rule(target=messages, pick=st.integers(0, 2), suffix=TEXT)
    def send(self, pick: int, suffix: str) -> str:
        seat = self._online(pick)
        text = self._text(suffix)
        sent = seat.client.chat.send_text_message(text)
        assert (sent.text, sent.seq, sent.user_id, sent.target_user_ids) == (
            text, self.model.next_seq, seat.person.user_id, ())
        self.model.sent(ModelMessage(sent.id, self.model.next_seq, seat.person, text, ()))
        self._saw("send")
        return sent.id

    @rule(target=messages, pick=st.integers(0, 2), audience=st.integers(1, 3), by_peer_id=st.booleans(),
          suffix=TEXT)
    def send_private(self, pick: int, audience: int, by_peer_id: bool, suffix: str) -> str:
        seat = self._online(pick)
        others = [s for s in self.seats if s is not seat]
        targets = [s for bit, s in enumerate(others) if audience & (1 << bit)]
        # A peer id names a live socket; an offline participant can only be named by user id.
        use_peers = by_peer_id and all(t.online for t in targets)
        peer_ids = [t.client.peer_id if use_peers else t.person.user_id for t in targets]
        text = self._text(suffix)
        sent = seat.client.chat.send_text_message(text, peer_ids=peer_ids)
        expected_targets = (*(t.person.user_id for t in targets), seat.person.user_id)
        assert (sent.text, sent.seq, sent.target_user_ids) == (text, self.model.next_seq, expected_targets)
        self.model.sent(ModelMessage(sent.id, self.model.next_seq, seat.person, text, expected_targets))
        self._saw(f"send private by {'peer' if use_peers else 'user'} id to {len(targets)}")
        return sent.id

    @rule(pick=st.integers(0, 2), message_id=messages, suffix=TEXT)
    def edit(self, pick: int, message_id: str, suffix: str) -> None:
        seat, message = self._online(pick), self.model.messages[message_id]
        text = self._text(f"edited {suffix}")
        outcome = self.model.edit_outcome(seat.person, message)
        edited = self._expect("edit", outcome, lambda: seat.client.chat.edit_text_message(message_id, text))
        if outcome is Outcome.APPLIED:
            assert (edited.id, edited.text, edited.is_edited) == (message_id, text, True)
            message.text, message.edited = text, True

    @rule(pick=st.integers(0, 2), message_id=messages)
    def delete(self, pick: int, message_id: str) -> None:
        seat, message = self._online(pick), self.model.messages[message_id]
        outcome = self.model.delete_outcome(seat.person, message)
        self._expect("delete", outcome, lambda: seat.client.chat.delete_message(message_id))
        if outcome is Outcome.APPLIED:
            message.deleted, message.pinned = True, False

    @rule(pick=st.integers(0, 2), message_id=messages, pinned=st.booleans())
    def pin_or_unpin(self, pick: int, message_id: str, pinned: bool) -> None:
        seat, message = self._online(pick), self.model.messages[message_id]
        outcome = self.model.pin_outcome(seat.person, message)
        pin_or_unpin = seat.client.chat.pin if pinned else seat.client.chat.unpin
        changed = self._expect("pin" if pinned else "unpin", outcome, lambda: pin_or_unpin(message_id))
        if outcome is Outcome.APPLIED:
            assert (changed.id, changed.pinned) == (message_id, pinned)
            message.pinned = pinned

    @rule(pick=st.integers(0, 2))
    def drop_connection(self, pick: int) -> None:
        self._saw("drop connection")
        self._online(pick).client.drop_connection()

    @precondition(lambda self: sum(s.online for s in self.seats) > 1)
    @rule(pick=st.integers(0, 2))
    def go_offline(self, pick: int) -> None:
        seat = self._online(pick)
        seat.online = False
        self._saw("offline")

        async def cut() -> None:
            seat.proxy.refuse = True
            seat.proxy.cut_all()

        self.backend.call(cut())
        wait_until(seat.client, "socketConnectionUpdate",
                   lambda: seat.client.connection_state is not ConnectionState.CONNECTED)

    @precondition(lambda self: any(not s.online for s in self.seats))
    @rule(pick=st.integers(0, 2))
    def come_back(self, pick: int) -> None:
        offline = [s for s in self.seats if not s.online]
        self._reconnect(offline[pick % len(offline)])

    def _reconnect(self, seat: Seat) -> None:
        seat.proxy.refuse = False  # a plain flag, read by the proxy on its next accept
        seat.online = True

    # ----- the invariant -----

    @invariant()
    def caught_up(self) -> None:
        for seat in self.seats:
            if seat.online:
                self._check(seat)

    def _check(self, seat: Seat) -> None:
        client, expected = seat.client, self.model.view(seat.person)
        wait_until(client, "socketConnectionUpdate",
                   lambda: client.connection_state is ConnectionState.CONNECTED, CATCH_UP_WITHIN)
        # Requests are answered in order: once this reply is in, every push queued for this
        # socket before it has been applied; catch-ups it triggered are awaited below.
        client.chat.fetch_public_messages(timestamp=0, limit=1)
        with contextlib.suppress(AssertionError):  # timed out: the assertion below shows the difference
            wait_until(client.chat, "chatUpdate", lambda: self._shown(client) == expected, CATCH_UP_WITHIN)
        assert self._shown(client) == expected, f"{seat.person.name}'s client did not converge"
        assert [m.id for m in client.chat.pinned] == [m.id for m in expected if m.pinned]
        stored = self.backend.call(visible_records(self.backend.server, self.meeting_id, seat.person.user_id))
        assert [shown_by_server(r) for r in stored] == expected

    @staticmethod
    def _shown(client: Meeting) -> list[Shown]:
        return [shown_by_client(m) for m in client.chat.messages]


def test_every_client_converges_to_the_servers_state(backend: Backend) -> None:
    Convergence.backend = backend
    factor = scale()
    run_state_machine_as_test(Convergence, settings=settings(
        max_examples=25 * factor,
        stateful_step_count=30 if factor == 1 else 50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    ))
    print("convergence machine exercised:", dict(sorted(Convergence.seen.items())))
    # The run must have done what it claims to check (not only invariants on an empty chat).
    for exercised in ("send", "edit: applied", "offline"):
        assert Convergence.seen[exercised], f"no {exercised!r} in the whole run"
