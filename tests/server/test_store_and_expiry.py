"""The database writer (group commit, per-job rollback, WAL + FULL on disk) and token expiry
on a live socket."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from protocol_client import ProtoClient

from rtk_widget.server import ServerConfig
from rtk_widget.server.auth import TokenIssuer
from rtk_widget.server.store.db import Database


async def test_group_commit_and_rollback_of_one_job(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    db.open()
    try:
        await db.write(lambda c: c.execute("CREATE TABLE t (x INTEGER UNIQUE)"))
        before = db.commits

        def insert(x: int):
            return lambda c: c.execute("INSERT INTO t VALUES (?)", (x,)).lastrowid

        results = await asyncio.gather(
            *[db.write(insert(i % 90)) for i in range(100)], return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 10
        assert all(isinstance(f, sqlite3.IntegrityError) for f in failures)
        assert db.commits - before < 100  # batched: fewer commits (fsyncs) than writes
        assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 90
        modes = await db.read(lambda c: (c.execute("PRAGMA journal_mode").fetchone()[0],))
        assert modes == ("wal",)
        sync = await db.write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
        assert sync == 2  # FULL
    finally:
        db.close()


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(port=0, ping_interval_s=0.2)


async def test_live_socket_is_closed_when_its_token_expires(server, make_meeting):
    meeting, (ada,) = await make_meeting("ada")
    issuer: TokenIssuer = server.parts.tokens
    # exp is whole seconds after a whole-second iat: ttl_s=2 leaves at least one second to join.
    short = issuer.issue(meeting["id"], ada["id"], ttl_s=2)
    client = await ProtoClient.connect(server.base_url, ada, meeting["id"], token=short)
    await client.join()
    closed = await client.wait_closed(within=8)
    assert closed.rcvd.code == 4001
    assert closed.rcvd.reason == "token expired"


async def test_stop_ends_live_sessions_before_closing_the_store(tmp_path):
    from conftest import create_meeting

    from rtk_widget.server import MeetingServer

    srv = MeetingServer(ServerConfig(port=0, data_dir=tmp_path))
    await srv.start()
    meeting, (ada,) = await create_meeting(srv, "ada")
    client = await ProtoClient.connect(srv.base_url, ada, meeting["id"])
    await client.join()
    await srv.stop()
    closed = await client.wait_closed()
    assert closed.rcvd.code == 1001
    with sqlite3.connect(tmp_path / "rtk.sqlite3") as db:
        rows = db.execute("SELECT status, ended_ms FROM sessions").fetchall()
        peers = db.execute("SELECT left_ms FROM session_peers").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "ENDED"
    assert rows[0][1] is not None
    assert peers[0][0] is not None
