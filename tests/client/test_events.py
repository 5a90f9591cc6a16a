"""Listeners and dispatchers: order, once, off, failing callbacks, and the script callback thread."""

from __future__ import annotations

import logging
import threading

from rtk_widget.client.events import EventEmitter, ThreadDispatcher, default_dispatcher, thread_dispatcher


def test_callbacks_run_in_order_on_one_dedicated_thread():
    dispatcher = ThreadDispatcher()
    emitter = EventEmitter(dispatcher)
    seen: list[tuple[int, str]] = []
    emitter.on("tick", lambda n: seen.append((n, threading.current_thread().name)))
    producers = [threading.Thread(target=lambda: [emitter.emit("tick", i) for i in range(500)])]
    for p in producers:
        p.start()
        p.join()
    assert dispatcher.flush()
    assert [n for n, _ in seen] == list(range(500))
    assert {name for _, name in seen} == {"rtk-widget-callbacks"}


def test_once_off_and_a_failing_callback(caplog):
    dispatcher = ThreadDispatcher()
    emitter = EventEmitter(dispatcher)
    once: list[int] = []
    always: list[int] = []

    def boom(_: int) -> None:
        raise ValueError("callback bug")

    emitter.once("e", once.append)
    emitter.on("e", boom)
    emitter.on("e", always.append)
    with caplog.at_level(logging.ERROR, logger="rtk_widget"):
        emitter.emit("e", 1)
        emitter.emit("e", 2)
        emitter.off("e", always.append)
        emitter.emit("e", 3)
        assert dispatcher.flush()
    assert once == [1]
    assert always == [1, 2]
    assert sum("callback bug" in r.exc_text for r in caplog.records if r.exc_text) == 3
    emitter.off("e")
    assert emitter.listener_count("e") == 0


def test_scripts_get_the_shared_callback_thread():
    assert default_dispatcher() is thread_dispatcher()
