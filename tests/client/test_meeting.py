"""Meetings: local and token joins, self, participants, connection state, reconnect and rejoin."""

from __future__ import annotations

from rtk_widget.client import ConnectionState, Meeting, Participant

from .helpers import FAST, Recorder, wait_until


def test_local_meeting_knows_itself_and_reuses_one_server():
    with Meeting.local(display_name="Ada") as ada:
        assert ada.joined
        assert ada.connection_state is ConnectionState.CONNECTED
        me = ada.self
        assert (me.name, me.preset_name, me.id) == ("Ada", "group_call_host", ada.peer_id)
        assert me.user_id
        assert me.permissions.can_pin
        assert me.permissions.public_files
        assert ada.title == "Notebook chat"
        bob = Meeting.local(display_name="Bob", meeting=ada.meeting_id)
        try:
            assert bob.self.preset_name == "group_call_participant"
            assert not bob.self.permissions.can_pin
            assert bob.meeting_id == ada.meeting_id
            assert bob.chat.state.connection is not None
        finally:
            bob.leave()
    assert not ada.joined
    assert ada.connection_state is ConnectionState.DISCONNECTED


def test_participants_join_and_leave_with_events():
    ada = Meeting.local(display_name="Ada")
    joins = Recorder(ada.participants, "participantJoined")
    leaves = Recorder(ada.participants, "participantLeft")
    bob = Meeting.local(display_name="Bob", meeting=ada)
    cara = Meeting.local(display_name="Cara", meeting=ada)
    try:
        arrivals = joins.wait_for(2)
        assert [p.name for p in arrivals] == ["Bob", "Cara"]
        assert all(isinstance(p, Participant) for p in arrivals)
        assert {p.id for p in ada.participants.joined} == {bob.peer_id, cara.peer_id}
        assert [p.name for p in cara.participants.joined] == ["Ada", "Bob"]  # the list at join, without self
        assert ada.participants.get(bob.peer_id).user_id == bob.self.user_id
        bob.leave()
        assert [p.id for p in leaves.wait_for(1)] == [bob.peer_id]
        assert [p.name for p in ada.participants.joined] == ["Cara"]
    finally:
        cara.leave()
        ada.leave()
    assert len(joins.payloads) == 2
    assert len(leaves.payloads) == 2


def test_a_dropped_socket_reconnects_rejoins_and_catches_up():
    ada = Meeting.local(display_name="Ada", backoff=FAST)
    bob = Meeting.local(display_name="Bob", meeting=ada, backoff=FAST)
    states = Recorder(bob, "socketConnectionUpdate")
    try:
        before = ada.chat.send_text_message("before the drop")
        wait_until(bob.chat, "chatUpdate", lambda: len(bob.chat.messages) == 1)
        bob.drop_connection()
        states.wait_for(2)
        after = ada.chat.send_text_message("while Bob reconnects")
        wait_until(bob, "socketConnectionUpdate", lambda: bob.connection_state is ConnectionState.CONNECTED)
        wait_until(bob.chat, "chatUpdate", lambda: len(bob.chat.messages) == 2)
        assert [m.id for m in bob.chat.messages] == [before.id, after.id]
        seen_states = [u.state for u in states.payloads]
        assert seen_states[0] is ConnectionState.RECONNECTING
        assert seen_states[-1] is ConnectionState.CONNECTED
        dropped = states.payloads[0]
        assert dropped.attempt == 1
        assert dropped.reason is not None
        assert "drop_connection" in dropped.reason
        assert dropped.next_attempt_at is not None
        assert bob.connection_info.attempt == 0
        assert bob.connection_info.reason is None
        # Rejoined with the same peer id: a private message to it still arrives.
        secret = ada.chat.send_text_message("still you?", peer_ids=[bob.peer_id])
        wait_until(bob.chat, "chatUpdate", lambda: secret.id in [m.id for m in bob.chat.messages])
        assert [p.name for p in ada.participants.joined] == ["Bob"]
    finally:
        bob.leave()
        ada.leave()

