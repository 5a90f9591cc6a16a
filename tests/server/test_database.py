"""The database's commit model: jobs run in call order on the loop, a file's COMMIT on its commit
thread, acknowledgements only after the commit; in memory every write commits as it is called."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator

import pytest

from rtk_widget.server.store.db import Database, on_queued


def _table(c: sqlite3.Connection) -> None:
    c.execute("CREATE TABLE t (x INTEGER UNIQUE)")


def _insert(x: int):
    return lambda c: c.execute("INSERT INTO t VALUES (?)", (x,)).lastrowid


@contextlib.asynccontextmanager
async def _opened(path) -> AsyncIterator[Database]:
    """A database with table ``t``, closed afterwards."""
    db = Database(path)
    db.open()
    try:
        await db.write(_table)
        yield db
    finally:
        db.close()


def _committed_rows(path) -> list[int]:
    """What another connection (another process, after a crash) would find."""
    other = sqlite3.connect(path)
    try:
        return [r[0] for r in other.execute("SELECT x FROM t ORDER BY rowid")]
    finally:
        other.close()


async def test_an_acknowledged_write_is_committed_and_order_is_call_order(tmp_path):
    path = tmp_path / "t.sqlite3"
    async with _opened(path) as db:

        async def write_and_check(x: int) -> None:
            await db.write(_insert(x))
            assert x in _committed_rows(path)  # the ack came after the commit

        # Several rounds of writes, each called while the previous batch may still be committing.
        for start in range(0, 300, 50):
            await asyncio.gather(*(write_and_check(x) for x in range(start, start + 50)))
        assert _committed_rows(path) == list(range(300))


async def test_a_failing_job_rolls_back_alone_in_every_batch(tmp_path):
    async with _opened(tmp_path / "t.sqlite3") as db:
        results = await asyncio.gather(*(db.write(_insert(i % 7)) for i in range(40)), return_exceptions=True)
        assert [isinstance(r, sqlite3.IntegrityError) for r in results] == [i >= 7 for i in range(40)]
        stored = await db.read(lambda c: [r[0] for r in c.execute("SELECT x FROM t ORDER BY x")])
        assert stored == list(range(7))


async def test_close_commits_the_writes_already_called(tmp_path):
    path = tmp_path / "t.sqlite3"
    db = Database(path)
    db.open()
    await db.write(_table)
    called = asyncio.Event()
    count = 0

    def queued() -> None:
        nonlocal count
        count += 1
        if count == 20:
            called.set()

    on_queued.set(queued)  # the tasks below inherit this context
    pending = [asyncio.ensure_future(db.write(_insert(x))) for x in range(20)]
    await called.wait()
    db.close()
    assert _committed_rows(path) == list(range(20))
    for task in pending:
        task.cancel()


async def test_writes_from_another_thread_join_the_same_order(tmp_path):
    path = tmp_path / "t.sqlite3"
    async with _opened(path) as db:
        done = threading.Event()
        errors: list[BaseException] = []

        def other_thread() -> None:
            try:
                asyncio.run(_write_range(db, range(100, 150)))
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=other_thread)
        thread.start()
        await _write_range(db, range(50))
        assert await asyncio.to_thread(done.wait, 20)
        thread.join()
        assert errors == []
        assert sorted(_committed_rows(path)) == [*range(50), *range(100, 150)]


async def _write_range(db: Database, xs: range) -> None:
    for x in xs:
        await db.write(_insert(x))


def _insert_twice(c: sqlite3.Connection) -> None:
    c.execute("INSERT INTO t VALUES (1)")
    c.execute("INSERT INTO t VALUES (1)")


async def test_in_memory_a_write_commits_inside_the_call():
    db = Database(None)
    db.open()
    try:
        assert db.writes_inline
        await db.write(_table)
        commits = db.commits
        with pytest.raises(sqlite3.IntegrityError):
            await db.write(_insert_twice)
        assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 0
        coro = db.write(_insert(5))
        assert db.commits == commits  # nothing runs before the write is awaited
        await coro
        assert db.commits == commits + 1
    finally:
        db.close()
