"""A burst of chat events leaves as one deltas push; connection changes reach the traits."""

from __future__ import annotations

import threading
from typing import Any

from rtk_widget import Meeting
from rtk_widget.client.events import Callback, Dispatcher
from rtk_widget.widget import ChatWidget

from .support import Recorder, Watch


class HeldDispatcher(Dispatcher):
    """Queues callbacks until the test releases them, like a kernel busy running a cell."""

    def __init__(self) -> None:
        self.queue: list[tuple[Callback, Any]] = []
        self.changed = threading.Condition()

    def dispatch(self, callback: Callback, payload: Any) -> None:
        with self.changed:
            self.queue.append((callback, payload))
            self.changed.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        return True

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.queue) >= count, timeout), self.queue

    def release(self) -> None:
        while True:
            with self.changed:
                if not self.queue:
                    return
                callback, payload = self.queue.pop(0)
            callback(payload)


def queued_chat_updates(held: HeldDispatcher) -> int:
    return sum(1 for callback, _ in held.queue if getattr(callback, "__name__", "") == "_on_chat_event")


def test_a_burst_becomes_one_push():
    held = HeldDispatcher()
    ada = Meeting.local(display_name="Ada", dispatcher=held)
    bob = Meeting.local(display_name="Bob", meeting=ada)
    recorder = Recorder()
    chat = ChatWidget(ada)
    chat.send = recorder  # type: ignore[method-assign]
    try:
        held.release()
        before = len(held.queue)
        sent = [bob.chat.send_text_message(f"burst {n}") for n in range(3)]
        held.wait_for(before + 3)
        with held.changed:
            assert held.changed.wait_for(lambda: queued_chat_updates(held) == 3, 10)
        held.release()
        pushes = recorder.pushes("deltas")
        assert len(pushes) == 1
        assert [item["message"]["id"] for item in pushes[0]["items"]] == [m.id for m in sent]
        assert [m.id for m in chat.messages] == [m.id for m in sent]
    finally:
        chat.close()
        bob.leave()
        ada.leave()


def test_connection_state_follows_the_socket(widget, ada):
    watch = Watch(widget, "connection_state")
    ada.drop_connection()
    watch.wait_for(lambda state: state == "connected" and "reconnecting" in watch.changes)
    assert watch.changes[-1] == "connected"


def test_messages_sent_while_reconnecting_reach_the_widget(widget, ada, bob, recorder):
    watch = Watch(widget)
    ada.drop_connection()
    missed = bob.chat.send_text_message("sent during the reconnect")
    watch.wait_for(lambda ms: [m.id for m in ms] == [missed.id])
    push, _ = recorder.wait(lambda c: c.get("kind") == "deltas")
    assert push["items"][0]["message"]["id"] == missed.id
