"""Durable sends: the server's group commit against one fsync per message, in the same run.

N participants, each alone in its own meeting (so no fan-out work), each send M messages and
await every ack, against an on-disk server (SQLite WAL, synchronous=FULL). The server runs
in this process (its commit counter is read directly); the N clients run in a child process
so their CPU is not the server's. Figures: acknowledged messages per second, commits (one
fsync each) per message, and the p50/p99 send-to-ack latency.

Baseline, same run, same disk: rows inserted in a plain loop, one fsync'd transaction per
row: the ceiling of a server that committed every message on its own.

    .venv/bin/python bench/group_commit.py                  # N = 1, 8, 32; 100 messages each
    .venv/bin/python bench/group_commit.py --senders 64 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def baseline(directory: Path, rows: int) -> float:
    """Rows per second, one fsync'd transaction per row."""
    conn = sqlite3.connect(directory / "baseline.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
    start = time.perf_counter()
    for i in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", (f"message {i}",))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return rows / elapsed


def _clients(pipe: Connection, base_url: str, seats: list[tuple[str, dict[str, Any]]], messages: int) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from protocol_client import ProtoClient

    async def main() -> tuple[float, list[float]]:
        clients = [await ProtoClient.connect(base_url, person, meeting_id) for meeting_id, person in seats]
        for c in clients:
            await c.join()
        latencies: list[float] = []

        async def sender(client: ProtoClient) -> None:
            for i in range(messages):
                t0 = time.perf_counter()
                await client.send_text(f"message {i}", request_id=f"{client.peer_id}-{i}")
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*[sender(c) for c in clients])
        elapsed = time.perf_counter() - start
        for c in clients:
            await c.close()
        return elapsed, latencies

    pipe.send(asyncio.run(main()))


async def run(senders: int, messages: int, directory: Path) -> tuple[float, float, list[float]]:
    from rtk_widget.server import MeetingServer, ServerConfig

    server = MeetingServer(ServerConfig(data_dir=directory, text_rate=10**9))
    await server.start()
    try:
        seats = []
        for i in range(senders):
            meeting = await server.admin.create_meeting(title=f"bench {i}")
            person = await server.admin.add_participant(
                meeting["id"], name=f"p{i}", preset_name="group_call_host", custom_participant_id=f"p{i}"
            )
            seats.append((meeting["id"], person))
        ours, theirs = multiprocessing.Pipe()
        child = multiprocessing.get_context("spawn").Process(
            target=_clients, args=(theirs, server.base_url, seats, messages)
        )
        before = server.parts.db.commits
        child.start()
        elapsed, latencies = await asyncio.to_thread(ours.recv)
        commits = server.parts.db.commits - before
        await asyncio.to_thread(child.join)
    finally:
        await server.stop()
    total = senders * messages
    return total / elapsed, commits / total, latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rtk-bench-", dir=Path(__file__).parent) as tmp:
        floor = baseline(Path(tmp), 500)
        print(f"baseline, one fsync'd transaction per row: {floor:,.0f} rows/s")
        header = ("N", "acked msgs/s", "vs baseline", "commits/msg", "p50 ms", "p99 ms")
        print("  ".join(f"{h:>{w}}" for h, w in zip(header, (4, 12, 11, 11, 7, 7), strict=True)))
        for n in args.senders:
            rate, per_message, latencies = asyncio.run(run(n, args.messages, Path(tmp) / f"n{n}"))
            q = statistics.quantiles(latencies, n=100)
            print(
                f"{n:>4}  {rate:>12,.0f}  {rate / floor:>10.2f}x  {per_message:>11.2f}  "
                f"{q[49] * 1000:>7.2f}  {q[98] * 1000:>7.2f}"
            )


if __name__ == "__main__":
    main()
