"""Mutation check for the convergence machine (scratch; not part of the suite)."""
import os, sys
import pytest
from rtk_widget.client import chat_state
from rtk_widget.server import rooms

MUTANT = os.environ["MUTANT"]

@pytest.fixture(autouse=True)
def mutate(monkeypatch):
    if MUTANT == "no_delete_push":
        orig = chat_state.ChatState.apply_delete
        monkeypatch.setattr(chat_state.ChatState, "apply_delete",
                            lambda self, cid, emit=True: None if emit else orig(self, cid, emit=emit))
    elif MUTANT == "private_to_all":
        orig = rooms.Rooms.fan_out
        monkeypatch.setattr(rooms.Rooms, "fan_out",
                            lambda self, m, f, exclude=None, audience=None: orig(self, m, f, exclude=exclude))
    elif MUTANT == "no_resync":
        orig = chat_state.ChatState.load_history
        async def lh(self, *, reconnected):
            if not reconnected:
                await orig(self, reconnected=reconnected)
        monkeypatch.setattr(chat_state.ChatState, "load_history", lh)
    elif MUTANT == "pin_ignored":
        orig = chat_state.ChatState.handle_push
        from rtk_widget.wire.events import Event
        monkeypatch.setattr(chat_state.ChatState, "handle_push",
                            lambda self, f: None if f.event == Event.PIN_MESSAGE and f.id is None else orig(self, f))
    yield

from tests.reliability.test_convergence import backend, test_every_client_converges_to_the_servers_state  # noqa
