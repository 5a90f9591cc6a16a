"""Start a coroutine at once, in the caller's turn of the loop, and make it a task only if it waits.

Python 3.12 has this as eager tasks; the server supports 3.11. A pipelined chat write runs its
checks and queues its transaction without waiting for anything, so starting it eagerly lets the
read loop go on to the next frame in the same turn: with a task per frame (and the read loop
waiting for it to queue its write), each frame cost two more turns of the loop, and frames that
arrived together waited for each other's turns.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def start_eagerly(coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Run ``coro`` up to its first real wait, now, in a copy of the current context.

    Returns a finished future if it never waited, else the task that runs the rest (in the same
    context, like ``asyncio.create_task``). An exception raised before the first wait is set on
    the returned future, as a task would do. That first step runs outside any task:
    ``asyncio.current_task()`` is None there, so ``asyncio.timeout()`` cannot be entered before
    the first wait.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    try:
        waiting_on = context.run(coro.send, None)
    except StopIteration as stop:
        done: asyncio.Future[T] = loop.create_future()
        done.set_result(stop.value)
        return done
    except asyncio.CancelledError:
        cancelled: asyncio.Future[T] = loop.create_future()
        cancelled.cancel()
        return cancelled
    except Exception as exc:
        failed: asyncio.Future[T] = loop.create_future()
        failed.set_exception(exc)
        return failed
    return loop.create_task(_Resume(coro, waiting_on).run(), context=context)


class _Resume:
    """The rest of a started coroutine, for a task to drive: it passes on what the coroutine
    waits for (the task waits for it as if the coroutine had yielded it itself) and passes
    back what the task sends or throws in (a cancellation, say)."""

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self._coro = coro
        self._waiting_on = waiting_on

    async def run(self) -> Any:
        return await self

    def __await__(self) -> Generator[Any, None, Any]:
        waiting_on = self._waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as exc:  # thrown into the task: hand it to the coroutine
                try:
                    waiting_on = self._coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting_on = self._coro.send(None)
                except StopIteration as stop:
                    return stop.value
