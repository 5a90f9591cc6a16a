"""SQLite access: one writing connection with group commit, acknowledged after a durable commit.

Writes are functions ``fn(conn) -> T``, run on the event loop's thread, in the order they are
called, each inside its own SAVEPOINT of the open ``BEGIN IMMEDIATE`` transaction (a job that
raises rolls back alone). The transaction is committed at the end of the loop's turn, so every
write of that turn shares it, and for a database file the COMMIT (``synchronous=FULL``: the
fsync) runs on a commit thread while the loop goes on; writes called meanwhile wait and form
the next batch. Only after the commit are the callers' awaits resolved, in order: an
acknowledgement always follows a durable commit. Reads of a file run on a second connection on
a reader thread (WAL readers never wait for the writer).

Why the jobs run on the loop and only the COMMIT on a thread: profiled under fan-out with a
writer thread running whole batches, the jobs took four times as long there as alone (each
statement hands the GIL back and forth with the loop), while the loop sat idle half the time
waiting for them. The statements are CPU work; the fsync is the only wait worth a thread.

An in-memory database has no fsync to share: each write is its own transaction, committed
inside :meth:`Database.write`'s call, and reads run at once too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rtk_widget.server.store.schema import migrate

T = TypeVar("T")
log = logging.getLogger(__name__)

on_queued: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "on_queued", default=None
)
"""Called (in the writing task's context) as soon as a write is queued; see :meth:`Database.write`."""

Job = Callable[[sqlite3.Connection], Any]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@dataclass(slots=True)
class _Batch:
    """Jobs run in the open transaction, and what each returned or raised."""

    futures: list[asyncio.Future[Any]] = field(default_factory=list)
    outcomes: list[tuple[Any, BaseException | None]] = field(default_factory=list)

    def run(self, conn: sqlite3.Connection, fn: Job, future: asyncio.Future[Any]) -> None:
        """Run ``fn`` in its own savepoint of the open transaction, for ``future`` once committed."""
        self.futures.append(future)
        self.outcomes.append(_in_savepoint(conn, fn))

    def settle(self, commit_error: BaseException | None) -> None:
        for future, (result, error) in zip(self.futures, self.outcomes, strict=True):
            if future.done():  # the caller was cancelled
                continue
            failure = commit_error or error
            if failure is not None:
                future.set_exception(failure)
            else:
                future.set_result(result)


class Database:
    """The server's SQLite database (``path=None``: in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one job at a time on the connection, from any thread
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop a file's writes run on
        self._committer: ThreadPoolExecutor | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._reader_local = threading.local()
        self._open_batch: _Batch | None = None  # jobs run since BEGIN, not yet committing
        self._committing: ThreadFuture[None] | None = None
        self._waiting: list[tuple[Job, asyncio.Future[Any]]] = []  # called during a commit
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
        if self.path is not None:
            self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rtk-db-commit")
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rtk-db-reader")

    @property
    def writes_inline(self) -> bool:
        """True when a write runs to its commit inside :meth:`write`'s call (in memory)."""
        return self.path is None

    def close(self) -> None:
        """Finish the commit in flight and commit every write already called, then close."""
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        if self._conn is not None and self.path is not None:
            self._finish_synchronously()
        if self._reader is not None:
            self._reader.submit(self._close_reader).result()
            self._reader.shutdown(wait=True)
            self._reader = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- writes ----------------------------------------------------------------------------

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a transaction; returns after the commit is durable.

        Writes commit in the order they are called. Once this one is queued (in memory: once
        it has run), the ``on_queued`` callback of the calling context (if any) runs: a caller
        may go on with its next request while this one commits, without losing that order.
        """
        if self._conn is None:
            raise RuntimeError("database is not open")
        if self.path is None:
            try:
                return self._write_now(fn)
            finally:
                _call_on_queued()
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:  # the transaction belongs to one loop's thread
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.write(fn), self._loop))
        future: asyncio.Future[T] = loop.create_future()
        if self._committing is not None:
            self._waiting.append((fn, future))
        else:
            self._run_in_batch(fn, future)
        _call_on_queued()
        return await future

    def _write_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._conn is not None
        conn = self._conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.commits += 1
        return result

    def _run_in_batch(self, fn: Job, future: asyncio.Future[Any]) -> None:
        """Run ``fn`` in the open transaction (opening one, and scheduling its commit)."""
        assert self._conn is not None
        assert self._loop is not None
        conn = self._conn
        batch = self._open_batch
        with self._lock:
            if batch is None:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    future.set_exception(exc)
                    return
                batch = self._open_batch = _Batch()
                self._loop.call_soon(self._start_commit)
            batch.run(conn, fn, future)

    def _start_commit(self) -> None:
        batch, self._open_batch = self._open_batch, None
        if batch is None or self._committer is None or self._conn is None:
            return
        committing = self._committing = self._committer.submit(self._commit_now)
        loop = self._loop
        assert loop is not None

        def committed(done: ThreadFuture[None]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed first (close() settles)
                loop.call_soon_threadsafe(self._committed, batch, done.exception())

        committing.add_done_callback(committed)

    def _commit_now(self) -> None:
        assert self._conn is not None
        with self._lock:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error:
                log.exception("database commit failed; the batch is rolled back")
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self.commits += 1

    def _committed(self, batch: _Batch, error: BaseException | None) -> None:
        self._committing = None
        batch.settle(error)
        waiting, self._waiting = self._waiting, []
        if self._conn is None:
            for _, future in waiting:
                if not future.done():
                    future.set_exception(RuntimeError("database closed"))
            return
        for fn, future in waiting:
            self._run_in_batch(fn, future)
        if self._open_batch is not None:
            # At once, not at the end of the turn: the pushes of the batch just settled run in
            # this turn, and the disk can sync the next batch meanwhile.
            self._start_commit()

    def _finish_synchronously(self) -> None:
        """At close: commit what ran in the open transaction, then run and commit the writes
        that waited for a commit (their callers may be gone; the writes are kept)."""
        assert self._conn is not None
        batch, self._open_batch = self._open_batch, None
        waiting, self._waiting = self._waiting, []
        with self._lock:
            if batch is None and waiting:
                self._conn.execute("BEGIN IMMEDIATE")
                batch = _Batch()
            if batch is None:
                return
            for fn, future in waiting:
                batch.run(self._conn, fn, future)
            self._conn.execute("COMMIT")
            self.commits += 1
        batch.settle(None)

    # -- reads -----------------------------------------------------------------------------

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` against one consistent snapshot of committed data."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        if self._reader is None:  # in memory: no write can interleave, so fn sees one snapshot
            with self._lock:
                return fn(self._conn)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._read_job, fn)

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


def _in_savepoint(conn: sqlite3.Connection, fn: Job) -> tuple[Any, BaseException | None]:
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
