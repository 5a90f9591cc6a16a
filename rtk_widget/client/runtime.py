"""The client's network thread: one asyncio loop per process, on a daemon thread.

All sockets and HTTP requests run here, so a long-running notebook cell never
stalls the connection, and a call from a cell never waits on the kernel's own
loop (no ``asyncio.run`` inside a running loop, no ``nest_asyncio``).
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
    """An event loop running forever on its own daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rtk-widget-network", daemon=True)
        self.thread.start()
        self._started.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()

    def in_runtime_thread(self) -> bool:
        """True when called from the network thread itself."""
        return threading.current_thread() is self.thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the network loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the network loop and block until it finishes.

        Raises :class:`RuntimeError` when called from the network thread (that would
        deadlock: use the ``*_async`` twin there) and :class:`TimeoutError` after
        ``timeout`` seconds (the coroutine is then cancelled).
        """
        if self.in_runtime_thread():
            coro.close()
            raise RuntimeError("blocking call on rtk-widget's network thread; await the *_async twin instead")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except TimeoutError:
            # Since Python 3.11 the wait's timeout and a TimeoutError raised by the coroutine
            # itself are the same class: only a future still running timed out here.
            if future.done() and not future.cancelled():
                return future.result()
            future.cancel()
            raise TimeoutError(f"no result within {timeout} s") from None
        except BaseException:
            # KeyboardInterrupt in a notebook: stop the work instead of leaving it running.
            future.cancel()
            raise

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` from any event loop: it runs on the network loop.

        Cancelling the awaiting task cancels the coroutine on the network loop.
        """
        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))


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

    def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._runtime.run(twin(self, *args, **kwargs))

    _copy_names(method, twin, twin.__name__.removesuffix("_async"))
    return method


def _copy_names(wrapper: Callable[..., Any], wrapped: Callable[..., Any], name: str) -> None:
    wrapper.__name__ = name
    wrapper.__qualname__ = wrapped.__qualname__.rsplit(".", 1)[0] + "." + name
    wrapper.__doc__ = wrapped.__doc__
    wrapper.__module__ = wrapped.__module__
