"""SQLite access: one writer thread with group commit and one reader thread for a database
file; the caller's own thread for an in-memory database.

Writes are functions ``fn(conn) -> T``. On a file they are queued to the writer thread. It takes
every job waiting, runs each inside its own SAVEPOINT of one ``BEGIN IMMEDIATE`` transaction,
commits once (``synchronous=FULL``: one fsync for the whole batch) and only then resolves the
callers' futures. So an acknowledgement always follows a durable commit, and a job that raises
rolls back alone. Reads run on a second connection (WAL readers never wait for the writer).

An in-memory database has no fsync to share, so a thread would only add hand-offs: measured on
the send path, waking the writer and waking the loop again cost about 120 us per message,
four times the insert itself. There, each write is its own transaction, run at once on the
calling thread (under a lock, so writes from several threads still run one at a time), and
reads run the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rtk_widget.server.store.schema import migrate

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_BATCH = 256

on_queued: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "on_queued", default=None
)
"""Called (in the writing task's context) as soon as a write is queued; see :meth:`Database.write`."""


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_STOP = object()


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Database:
    """The server's SQLite database (``path=None``: in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._reader_local = threading.local()
        self._conn: sqlite3.Connection | None = None
        self._inline: threading.Lock | None = None  # held while an in-memory job runs
        self.commits = 0  # transactions committed (a batch counts once)

    def open(self) -> None:
        target = ":memory:" if self.path is None else str(self.path)
        conn = _connect(target)
        if self.path is not None:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"SQLite refused WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)
        self._conn = conn
        if self.path is None:
            self._inline = threading.Lock()
            return
        self._writer = threading.Thread(target=self._write_loop, name="rtk-db-writer", daemon=True)
        self._writer.start()
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rtk-db-reader")

    @property
    def writes_inline(self) -> bool:
        """True when a write runs to its commit inside :meth:`write`'s call (in memory)."""
        return self._inline is not None

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        if self._reader is not None:
            self._reader.submit(self._close_reader).result()
            self._reader.shutdown(wait=True)
            self._reader = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._inline = None

    def _enqueue(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        if self._writer is None:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, future, loop))
        return future

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a transaction; returns after the commit is durable.

        Writes commit in the order they are called. Once this one is queued (in memory: once
        it has run), the ``on_queued`` callback of the calling context (if any) runs: a caller
        may go on with its next request while this one commits, without losing that order.
        """
        if self._inline is not None:
            try:
                return self._write_now(self._inline, fn)
            finally:
                _call_on_queued()
        future = self._enqueue(fn)
        _call_on_queued()
        return await future

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` against one consistent snapshot of committed data."""
        if self._inline is not None:
            assert self._conn is not None
            with self._inline:  # no write can interleave, so what fn sees is one snapshot
                return fn(self._conn)
        if self._reader is None:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._read_job, fn)

    def _write_now(self, lock: threading.Lock, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._conn is not None
        with lock:
            ((result, error),) = self._commit(self._conn, [fn])
        if error is not None:
            raise error
        return result  # type: ignore[no-any-return]

    # -- threads ---------------------------------------------------------------------------

    def _read_job(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._reader_local, "conn", None)
        if conn is None:
            assert self.path is not None
            conn = _connect(str(self.path))
            self._reader_local.conn = conn
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    def _close_reader(self) -> None:
        conn = getattr(self._reader_local, "conn", None)
        if conn is not None:
            conn.close()

    def _write_loop(self) -> None:
        assert self._conn is not None
        conn = self._conn
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Job] = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(conn, batch)

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes = self._commit(conn, [job.fn for job in batch])
        for job, (result, error) in zip(batch, outcomes, strict=True):
            with contextlib.suppress(RuntimeError):  # the caller's loop is closed
                job.loop.call_soon_threadsafe(_settle, job.future, result, error)

    def _commit(
        self, conn: sqlite3.Connection, jobs: list[Callable[[sqlite3.Connection], Any]]
    ) -> list[tuple[Any, BaseException | None]]:
        """Run ``jobs`` in one transaction and commit it: each job's (result, error).

        A job that raises is rolled back alone: to its savepoint, or, when it is the only
        job, with the transaction (two statements fewer on the common path)."""
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            if len(jobs) == 1:
                try:
                    outcomes.append((jobs[0](conn), None))
                except Exception as exc:
                    conn.execute("ROLLBACK")
                    return [(None, exc)]
            else:
                for fn in jobs:
                    outcomes.append(self._in_savepoint(conn, fn))
            conn.execute("COMMIT")
            self.commits += 1
        except Exception as exc:  # the commit (or BEGIN) failed: nothing in the batch is stored
            log.exception("database commit failed")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(None, exc) for _ in jobs]
        return outcomes

    @staticmethod
    def _in_savepoint(
        conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]
    ) -> tuple[Any, BaseException | None]:
        conn.execute("SAVEPOINT job")
        try:
            result = fn(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return None, exc
        conn.execute("RELEASE job")
        return result, None


def _call_on_queued() -> None:
    hook = on_queued.get()
    if hook is not None:
        hook()
