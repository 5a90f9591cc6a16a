"""In a real Jupyter kernel: a cell that blocks for seconds does not stall the connection,
messages arriving meanwhile are all there afterwards, and callbacks ran on the main thread."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from rtk_widget.client import Meeting
from rtk_widget.client.runtime import get_runtime
from rtk_widget.server import MeetingServer, ServerConfig

from .helpers import run_cell

pytestmark = pytest.mark.jupyter

MESSAGES = 20


@pytest.fixture
def fast_ping_server() -> Iterator[MeetingServer]:
    """A server in this process (on the client runtime's loop) that pings every 0.2 s."""
    runtime = get_runtime()
    server = MeetingServer(ServerConfig(host="127.0.0.1", port=0, data_dir=None, ping_interval_s=0.2))
    runtime.run(server.start())
    try:
        yield server
    finally:
        runtime.run(server.stop())


def test_a_busy_cell_keeps_the_connection_and_callbacks_run_on_the_main_thread(kernel, fast_ping_server):
    runtime = get_runtime()

    async def people() -> tuple[str, str, str]:
        meeting = await fast_ping_server.admin.create_meeting(title="kernel")
        admin = fast_ping_server.admin
        ada = await admin.add_participant(meeting["id"], name="Ada", preset_name="group_call_host",
                                          custom_participant_id="ada")
        bob = await admin.add_participant(meeting["id"], name="Bob", preset_name="group_call_host",
                                          custom_participant_id="bob")
        return meeting["id"], ada["token"], bob["token"]

    _, ada_token, bob_token = runtime.run(people())
    run_cell(kernel, f"""
import threading, time, json
from rtk_widget.client import Meeting
ada = Meeting({ada_token!r}, base_url={fast_ping_server.base_url!r}, ping_timeout=1.0)
seen, states = [], []
ada.chat.on("newMessage", lambda m: seen.append((m.text, threading.current_thread().name)))
ada.on("socketConnectionUpdate", lambda u: states.append(u.state.value))
ada.join()
print(ada.connection_state.value)
""")
    bob = Meeting(bob_token, base_url=fast_ping_server.base_url)
    bob.join()

    def send_while_busy() -> None:
        for i in range(MESSAGES):
            bob.chat.send_text_message(f"msg {i}")

    # The cell blocks the kernel's main thread for at least 3 s (time.sleep in the payload),
    # long past ping_timeout=1.0 s at 0.2 s server pings: a stalled connection would drop.
    during = run_cell(kernel, f"""
start = time.time()
while time.time() - start < 3 or (len(ada.chat.messages) < {MESSAGES} and time.time() - start < 30):
    time.sleep(0.05)
print(json.dumps({{"in_store": len(ada.chat.messages), "callbacks_so_far": len(seen),
                  "state": ada.connection_state.value}}))
""", on_busy=send_while_busy)
    after = run_cell(kernel, """
print(json.dumps({"seen": seen, "states": states, "texts": [m.text for m in ada.chat.messages],
                  "main": threading.main_thread().name}))
ada.leave()
""")
    bob.leave()
    in_cell = json.loads(during)
    assert in_cell == {"in_store": MESSAGES, "callbacks_so_far": 0, "state": "connected"}
    result = json.loads(after)
    expected = [f"msg {i}" for i in range(MESSAGES)]
    assert result["texts"] == expected
    assert [text for text, _ in result["seen"]] == expected
    assert {thread for _, thread in result["seen"]} == {result["main"]}
    assert "reconnecting" not in result["states"]
