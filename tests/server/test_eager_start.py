"""start_eagerly: a coroutine runs up to its first wait in the caller's turn; if it waits, a task
runs the rest in the same context, and cancellation and errors reach the coroutine as in a task."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from rtk_widget.server.ws.eager import start_eagerly

where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="outside")


async def test_a_coroutine_that_never_waits_is_done_before_start_returns():
    steps: list[str] = []

    async def quick() -> int:
        steps.append("ran")
        return 7

    started = start_eagerly(quick())
    assert steps == ["ran"]  # no turn of the loop was needed
    assert started.done()
    assert started.result() == 7


async def test_a_waiting_coroutine_runs_its_first_step_now_and_the_rest_in_a_task():
    steps: list[str] = []
    gate = asyncio.get_running_loop().create_future()

    async def waits() -> str:
        steps.append("before")
        value = await gate
        steps.append(f"after {value}")
        return value

    started = start_eagerly(waits())
    assert steps == ["before"]
    assert not started.done()
    gate.set_result("open")
    assert await started == "open"
    assert steps == ["before", "after open"]


async def test_context_changes_stay_in_the_coroutine_and_follow_it_across_waits():
    seen: list[str] = []

    async def sets() -> None:
        where.set("inside")
        await asyncio.sleep(0)
        seen.append(where.get())

    await start_eagerly(sets())
    assert seen == ["inside"]
    assert where.get() == "outside"  # like a task: the caller's context is untouched


async def test_an_error_before_the_first_wait_is_set_on_the_future():
    async def fails() -> None:
        raise ValueError("bad frame")

    started = start_eagerly(fails())
    assert started.done()
    with pytest.raises(ValueError, match="bad frame"):
        started.result()


async def test_an_error_after_a_wait_ends_the_task():
    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise KeyError("gone")

    with pytest.raises(KeyError):
        await start_eagerly(fails_later())


async def test_cancelling_the_task_cancels_the_coroutine_where_it_waits():
    cleaned: list[str] = []
    never = asyncio.get_running_loop().create_future()

    async def waits_forever() -> None:
        try:
            await never
        finally:
            cleaned.append("cleaned up")

    started = start_eagerly(waits_forever())
    await asyncio.sleep(0)
    started.cancel()
    with pytest.raises(asyncio.CancelledError):
        await started
    assert cleaned == ["cleaned up"]
    assert never.cancelled()


async def test_a_coroutine_that_catches_its_cancellation_finishes_normally():
    async def shrugs() -> str:
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            return "stopped cleanly"
        return "not reached"

    started = start_eagerly(shrugs())
    await asyncio.sleep(0)
    started.cancel()
    assert await started == "stopped cleanly"
