"""Where a meeting's network work runs: rtk-widget's network thread, or the program's own loop.

By default every socket and HTTP request runs on one asyncio loop per process, on a
daemon thread, so a long-running notebook cell never stalls the connection, and a
call from a cell never waits on the kernel's own loop (no ``asyncio.run`` inside a
running loop, no ``nest_asyncio``).

An asyncio program can instead attach a meeting to its own running loop
(``Meeting(token, loop=asyncio.get_running_loop())``): the ``*_async`` methods then
run on that loop with no thread hop, and their blocking twins refuse to run on it
(they would wait for the very loop they block).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_shared: dict[str, Runtime] = {}


class Runtime:
    """An event loop that runs a meeting's network work.

    ``Runtime()`` starts a loop running forever on its own daemon thread (``thread``);
    ``Runtime(loop)`` attaches to a loop the program runs itself (``thread`` is None).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.thread: threading.Thread | None = None
        if loop is not None:
            self.loop = loop
            return
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), name="rtk-widget-network",
                                       daemon=True)
        self.thread.start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(started.set)
        self.loop.run_forever()

    @property
    def attached(self) -> bool:
        """True when the loop belongs to the program (``Runtime(loop)``), not to a thread of ours."""
        return self.thread is None

    def in_runtime_thread(self) -> bool:
        """True when called from the thread running this loop (from its callbacks or tasks)."""
        if self.thread is not None:
            return threading.current_thread() is self.thread
        return running_on(self.loop)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None, *,
            caller: str | None = None) -> T:
        """Run ``coro`` on the loop and block until it finishes.

        Raises :class:`RuntimeError` when called from the loop's own thread (that would
        deadlock: await the ``*_async`` twin there; ``caller`` names the blocking method in
        the message), and :class:`TimeoutError` after ``timeout`` seconds (the coroutine
        is then cancelled).
        """
        if self.in_runtime_thread() or (self.attached and not self.loop.is_running()):
            coro.close()
            raise RuntimeError(self._refusal(caller))
        # A lock released by the task's done callback: cheaper than run_coroutine_threadsafe's
        # two chained futures (one Condition, one extra callback round on the loop).
        finished = threading.Lock()
        finished.acquire()
        tasks: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self.loop.create_task(coro)
            tasks.append(task)
            task.add_done_callback(lambda _: finished.release())

        try:
            self.loop.call_soon_threadsafe(start)
        except RuntimeError:  # the attached loop was closed meanwhile
            coro.close()
            raise
        try:
            if finished.acquire(timeout=-1 if timeout is None else timeout):
                return tasks[0].result()
        except BaseException:
            # KeyboardInterrupt in a notebook: stop the work instead of leaving it running.
            self.loop.call_soon_threadsafe(_abandon, tasks)
            raise
        if finished.acquire(blocking=False):  # it finished just as the wait timed out
            return tasks[0].result()
        self.loop.call_soon_threadsafe(_abandon, tasks)
        raise TimeoutError(f"no result within {timeout} s")

    def _refusal(self, caller: str | None) -> str:
        what = f"{caller}()" if caller else "a blocking call"
        twin = f"await {caller.rsplit('.', 1)[-1]}_async(...)" if caller else "await the *_async twin"
        if not self.attached:
            return f"{what} blocks, and this is rtk-widget's network thread: {twin} instead"
        if not self.loop.is_running():
            return (f"{what} needs the event loop this meeting was attached to (Meeting(loop=...)), "
                    "and that loop is not running")
        return (f"{what} would block the event loop this meeting runs on (Meeting(loop=...)) while "
                f"waiting for that same loop, a deadlock: {twin} instead")

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` from any event loop: it runs on this runtime's loop.

        Cancelling the awaiting task cancels the coroutine on the runtime's loop.
        """
        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))


def running_on(loop: asyncio.AbstractEventLoop) -> bool:
    """True when called from ``loop``'s thread while it runs (from its callbacks or tasks)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _abandon(tasks: list[asyncio.Task[Any]]) -> None:
    """On the loop: cancel the task a caller stopped waiting for (or mark its outcome retrieved)."""
    for task in tasks:
        if task.done():
            if not task.cancelled():
                task.exception()
        else:
            task.cancel()


def get_runtime() -> Runtime:
    """The process's network runtime, started on first use."""
    with _lock:
        if "runtime" not in _shared:
            _shared["runtime"] = Runtime()
        return _shared["runtime"]


class UsesRuntime(Protocol):
    """An object whose network work runs on ``_runtime``."""

    _runtime: Runtime


S = TypeVar("S", bound=UsesRuntime)
P = ParamSpec("P")


def network(impl: Callable[Concatenate[S, P], Coroutine[Any, Any, T]]
            ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """Decorate an ``async def ..._async`` method so it runs on the network loop.

    The result is awaitable from any event loop (a notebook's, an asyncio program's).
    """

    async def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._runtime.run_async(impl(self, *args, **kwargs))

    _copy_names(method, impl, impl.__name__)
    return method


def blocking(twin: Callable[Concatenate[S, P], Coroutine[Any, Any, T]]) -> Callable[Concatenate[S, P], T]:
    """The plain twin of a ``@network`` ``..._async`` method: blocks until it finishes."""

    name = twin.__name__.removesuffix("_async")
    caller = twin.__qualname__.rsplit(".", 1)[0] + "." + name

    def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._runtime.run(twin(self, *args, **kwargs), caller=caller)

    _copy_names(method, twin, name)
    return method


def _copy_names(wrapper: Callable[..., Any], wrapped: Callable[..., Any], name: str) -> None:
    wrapper.__name__ = name
    wrapper.__qualname__ = wrapped.__qualname__.rsplit(".", 1)[0] + "." + name
    wrapper.__doc__ = wrapped.__doc__
    wrapper.__module__ = wrapped.__module__
