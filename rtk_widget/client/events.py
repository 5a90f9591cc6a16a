"""Event listeners (``on``/``off``/``once``) and where callbacks run.

Events are raised on the meeting's loop (rtk-widget's network thread unless the
meeting is attached to the program's loop); a :class:`Dispatcher` hands each
callback to where users expect it: the kernel's main thread inside Jupyter, a
single dedicated callback thread in scripts (callbacks run one at a time, in
order), the program's loop for an attached meeting. A callback that raises is
logged on the ``rtk_widget`` logger and does not stop the others.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from rtk_widget.client.runtime import running_on

logger = logging.getLogger("rtk_widget")
logger.addHandler(logging.NullHandler())

Callback = Callable[[Any], object]


def _call(callback: Callback, payload: Any) -> None:
    try:
        callback(payload)
    except Exception:
        logger.exception("rtk-widget event callback %r failed", callback)


class Dispatcher:
    """Runs callbacks somewhere; ``flush`` waits until earlier callbacks ran."""

    def dispatch(self, callback: Callback, payload: Any) -> None:
        """Schedule ``callback(payload)``."""
        raise NotImplementedError

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every callback dispatched so far ran; False on timeout."""
        raise NotImplementedError


class ThreadDispatcher(Dispatcher):
    """One daemon thread draining a queue: callbacks run in order, one at a time."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callback, Any]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._drain, name="rtk-widget-callbacks", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            callback, payload = self._queue.get()
            _call(callback, payload)

    def dispatch(self, callback: Callback, payload: Any) -> None:
        """Queue ``callback(payload)`` for the callback thread."""
        self._queue.put((callback, payload))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the callback thread has run everything queued before this call."""
        if threading.current_thread() is self.thread:
            return True
        done = threading.Event()
        self.dispatch(lambda _: done.set(), None)
        return done.wait(timeout)


class LoopDispatcher(Dispatcher):
    """Callbacks run on an asyncio loop's thread: the kernel's main loop in Jupyter, or the
    program's own loop for a meeting attached to it (``Meeting(loop=...)``).

    ``inline``: an event raised on the loop itself runs its callbacks at once, as the web SDK
    calls its listeners, instead of after everything else queued on the loop (for an attached
    meeting every event is raised there: a push then reaches its callback before the loop
    handles the frames that arrived with it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, inline: bool = False) -> None:
        self.loop = loop
        self.inline = inline

    def dispatch(self, callback: Callback, payload: Any) -> None:
        """Run or schedule ``callback(payload)``: at once when ``inline`` and raised on the loop,
        ``call_soon`` from the loop otherwise (no wake-up needed), else ``call_soon_threadsafe``."""
        if running_on(self.loop):
            if self.inline:
                _call(callback, payload)
            else:
                self.loop.call_soon(_call, callback, payload)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(_call, callback, payload)

    def flush(self, timeout: float = 10.0) -> bool:
        """Callbacks run when the loop's thread is free; from that thread there is nothing to wait for."""
        return True


_lock = threading.Lock()
_shared: dict[str, ThreadDispatcher] = {}


def thread_dispatcher() -> ThreadDispatcher:
    """The process's callback thread, started on first use."""
    with _lock:
        if "thread" not in _shared:
            _shared["thread"] = ThreadDispatcher()
        return _shared["thread"]


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's main asyncio loop when running inside an ipykernel, else None."""
    if "ipykernel" not in sys.modules or threading.current_thread() is not threading.main_thread():
        return None
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    if not Kernel.initialized():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        io_loop = getattr(Kernel.instance(), "io_loop", None)
        loop = getattr(io_loop, "asyncio_loop", None)
        return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


def default_dispatcher() -> Dispatcher:
    """Kernel main thread inside Jupyter, else the dedicated callback thread."""
    loop = _kernel_loop()
    return LoopDispatcher(loop) if loop is not None else thread_dispatcher()


class EventEmitter:
    """``on``/``off``/``once`` listeners for named events, delivered by a dispatcher."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        # Each listener is (callback, once): a once-listener is removed when it is dispatched.
        self._listeners: dict[str, list[tuple[Callback, bool]]] = {}
        self._lock = threading.Lock()

    def on(self, event: str, callback: Callback) -> Callback:
        """Call ``callback(payload)`` every time ``event`` fires; returns the callback."""
        with self._lock:
            self._listeners.setdefault(event, []).append((callback, False))
        return callback

    def once(self, event: str, callback: Callback) -> Callback:
        """Call ``callback(payload)`` the next time ``event`` fires only; returns the callback."""
        with self._lock:
            self._listeners.setdefault(event, []).append((callback, True))
        return callback

    def off(self, event: str, callback: Callback | None = None) -> None:
        """Remove ``callback`` from ``event`` (every listener of ``event`` when None)."""
        with self._lock:
            if callback is None:
                self._listeners.pop(event, None)
            else:
                self._listeners[event] = [e for e in self._listeners.get(event, []) if e[0] != callback]

    def listener_count(self, event: str) -> int:
        """How many listeners ``event`` has."""
        with self._lock:
            return len(self._listeners.get(event, []))

    def emit(self, event: str, payload: Any) -> None:
        """Dispatch ``payload`` to every listener of ``event`` (callable from any thread)."""
        with self._lock:
            listeners = self._listeners.get(event, [])
            if any(once for _, once in listeners):
                self._listeners[event] = [e for e in listeners if not e[1]]
        for callback, _ in listeners:
            self.dispatcher.dispatch(callback, payload)


class EventSource:
    """Public ``on``/``once``/``off`` for a class that raises events through ``self._emitter``.

    Each subclass's docstring names the events it raises.
    """

    _emitter: EventEmitter

    def on(self, event: str, callback: Callback) -> Callback:
        """Call ``callback(payload)`` every time ``event`` fires; returns the callback."""
        return self._emitter.on(event, callback)

    def once(self, event: str, callback: Callback) -> Callback:
        """Call ``callback(payload)`` the next time ``event`` fires only; returns the callback."""
        return self._emitter.once(event, callback)

    def off(self, event: str, callback: Callback | None = None) -> None:
        """Stop listening (every listener of ``event`` when ``callback`` is None)."""
        self._emitter.off(event, callback)
