"""Fan-out benchmark: one sender, N participants in one meeting.

Compares rtk-widget's server (plain ws; in-memory store and on-disk SQLite store) with a bare
``websockets`` broadcast relay measured in the same run: the relay forwards the sender's very
bytes to the same N clients, so it is the floor for "receive a frame, send it to N sockets"
in Python. Each server runs in its own process; the N clients share this process and one loop.

For every message the sender records the send time; each of the N receivers (the sender
included: both servers echo to it) records the arrival time. At most ``--window`` messages are
in flight (sent but not yet delivered to all N), so throughput is measured under back-pressure
and latency includes that queueing. Figures: deliveries per second (message x recipient) and
the p50/p99 send-to-receive latency.

    .venv/bin/python bench/fanout.py --quick     # N = 2, 10, 50; 500 messages each; < 1 minute
    .venv/bin/python bench/fanout.py             # N = 2, 10, 50, 100; 2000 messages each
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from rtk_widget.wire.chat_pb2 import SendChatMessageToRoomRequest, SendChatMessageToRoomResponse
from rtk_widget.wire.envelope import decode_frame, encode_frame
from rtk_widget.wire.events import PING, PONG, Event
from rtk_widget.wire.room_pb2 import JoinRoomRequest, Peer

WARMUP = 20
SIZES = (2, 10, 50, 100)
TARGET = 0.5  # the durable server's deliveries/s as a share of the bare broadcast's, at every N
DURABLE = "ours, disk"
BASELINE = "baseline relay"


# --------------------------------------------------------------------------- server processes

def _serve_ours(conn: Connection, data_dir: str | None) -> None:
    asyncio.run(_ours_main(conn, data_dir))


async def _ours_main(conn: Connection, data_dir: str | None) -> None:
    from rtk_widget.server import MeetingServer, ServerConfig

    # The bench sender exceeds RealtimeKit's 180 messages/minute on purpose.
    config = ServerConfig(data_dir=data_dir, text_rate=10**9, send_queue_frames=1 << 16)
    server = MeetingServer(config)
    await server.start()
    port = int(server.base_url.rsplit(":", 1)[1])
    while (command := await asyncio.to_thread(conn.recv)) != "stop":
        meeting = await server.admin.create_meeting(title=f"fan-out {command}")
        clients = []
        for i in range(int(command)):
            person = await server.admin.add_participant(
                meeting["id"], name=f"P{i}", preset_name="group_call_participant",
                custom_participant_id=f"p{i}")
            query = (f"roomID={meeting['id']}&peerID={uuid.uuid4()}"
                     f"&authToken={person['token']}&useMediaV2=true")
            clients.append({"url": f"ws://127.0.0.1:{port}/ws?{query}", "user_id": person["id"]})
        conn.send(clients)
    await server.stop()
    conn.send("stopped")


def _serve_baseline(conn: Connection, _data_dir: str | None) -> None:
    asyncio.run(_baseline_main(conn))


async def _baseline_main(conn: Connection) -> None:
    rooms: dict[str, set[ServerConnection]] = {}

    async def relay(ws: ServerConnection) -> None:
        room = rooms.setdefault(ws.request.path if ws.request else "/", set())
        room.add(ws)
        try:
            async for frame in ws:
                broadcast(room, frame)
        finally:
            room.discard(ws)

    async with serve(relay, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        while (command := await asyncio.to_thread(conn.recv)) != "stop":
            url = f"ws://127.0.0.1:{port}/{uuid.uuid4().hex}"
            conn.send([{"url": url, "user_id": f"p{i}"} for i in range(int(command))])
    conn.send("stopped")


# --------------------------------------------------------------------------- clients

@dataclass
class Run:
    """Book-keeping of one measured run."""

    n: int
    window: int
    messages: int
    sent_at: dict[int, float] = field(default_factory=dict)
    delivered: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    last_delivery: float = 0.0
    warmed_up: asyncio.Event = field(default_factory=asyncio.Event)
    warm_done: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.window)

    def arrived(self, index: int, at: float) -> None:
        if index >= 0:
            self.latencies.append(at - self.sent_at[index])
            self.last_delivery = at
        count = self.delivered.get(index, 0) + 1
        self.delivered[index] = count
        if count == self.n:
            self.slots.release()
            if index < 0:
                self.warm_done += 1
                if self.warm_done == WARMUP:
                    self.warmed_up.set()
            elif len(self.latencies) == self.n * self.messages:
                self.finished.set()


def _index_of(frame: bytes, relayed: bool) -> int | None:
    """The message index in a chat frame, or None for other frames."""
    envelope = decode_frame(frame)
    if envelope.event != Event.SEND_MESSAGE_TO_ROOM:
        return None
    if relayed:
        request = SendChatMessageToRoomRequest()
        request.ParseFromString(envelope.payload)
        return int(request.payload)
    response = SendChatMessageToRoomResponse()
    response.ParseFromString(envelope.payload)
    return int(response.message.payload)


async def _join(ws: ClientConnection, user_id: str) -> None:
    request_id = uuid.uuid4().hex
    join = JoinRoomRequest(peer=Peer(user_id=user_id, display_name=user_id))
    await ws.send(encode_frame(Event.JOIN_ROOM, request_id, join))
    async for frame in ws:
        if isinstance(frame, str):
            if frame == PING:
                await ws.send(PONG)
            continue
        reply = decode_frame(frame)
        if reply.id == request_id:
            if reply.event != Event.JOIN_ROOM:
                raise RuntimeError(f"join refused: event {reply.event}")
            return


async def _receive(ws: ClientConnection, run: Run, relayed: bool) -> None:
    """Read until the socket closes: a reader that stops early stalls the close handshakes."""
    async for frame in ws:
        if isinstance(frame, str):
            if frame == PING:
                await ws.send(PONG)
            continue
        index = _index_of(frame, relayed)
        if index is None:
            continue
        run.arrived(index, time.perf_counter())


async def measure(clients: list[dict[str, str]], messages: int, window: int,
                  relayed: bool) -> dict[str, float]:
    """Connect, join, then send ``messages`` (after a warm-up) and time every delivery."""
    sockets = [await connect(c["url"], compression=None, max_size=None) for c in clients]
    try:
        if not relayed:
            await asyncio.gather(*(_join(ws, c["user_id"]) for ws, c in zip(sockets, clients, strict=True)))
        run = Run(n=len(sockets), window=window, messages=messages)
        receivers = [asyncio.create_task(_receive(ws, run, relayed)) for ws in sockets]
        sender = sockets[0]
        first_send = 0.0
        for i in range(-WARMUP, messages):
            await run.slots.acquire()
            if i == 0:
                await run.warmed_up.wait()  # warm-up deliveries must not overlap the measured ones
                first_send = time.perf_counter()
            frame = encode_frame(Event.SEND_MESSAGE_TO_ROOM, uuid.uuid4().hex,
                                 SendChatMessageToRoomRequest(payload=str(i)))
            run.sent_at[i] = time.perf_counter()
            await sender.send(frame)
        await asyncio.wait_for(run.finished.wait(), timeout=120)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    await asyncio.gather(*receivers)
    ordered = sorted(run.latencies)
    return {
        "deliveries_per_s": len(ordered) / (run.last_delivery - first_send),
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


# --------------------------------------------------------------------------- driver

class ServerProcess:
    """A server in a child process, asked for N client URLs at a time."""

    def __init__(self, target: Any, data_dir: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, data_dir), daemon=True)
        self._process.start()

    def clients(self, n: int) -> list[dict[str, str]]:
        self._conn.send(str(n))
        result: list[dict[str, str]] = self._conn.recv()
        return result

    def stop(self) -> None:
        self._conn.send("stop")
        self._conn.recv()
        self._process.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 messages per run instead of 2000")
    parser.add_argument("--window", type=int, default=16, help="messages in flight at most")
    parser.add_argument("--repeat", type=int, default=1, help="runs per backend and N (median reported)")
    args = parser.parse_args()
    messages = 500 if args.quick else 2000

    with tempfile.TemporaryDirectory(prefix="rtkw-bench-") as disk:
        backends = {
            BASELINE: ServerProcess(_serve_baseline, None),
            "ours, memory": ServerProcess(_serve_ours, None),
            DURABLE: ServerProcess(_serve_ours, disk),
        }
        try:
            rows = []
            for n in SIZES:
                runs: dict[str, list[dict[str, float]]] = {name: [] for name in backends}
                for _ in range(args.repeat):  # interleaved, so load changes hit every backend alike
                    for name, process in backends.items():
                        relayed = name == BASELINE
                        runs[name].append(asyncio.run(measure(process.clients(n), messages, args.window,
                                                                relayed)))
                for name, process in backends.items():
                    idle = asyncio.run(measure(process.clients(n), messages // 5, 1, name == BASELINE))
                    rows.append((n, name, median_run(runs[name]), idle))
        finally:
            for process in backends.values():
                process.stop()
    print_table(rows, messages, args.window, args.repeat)


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over repeated runs."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def print_table(rows: list[tuple[int, str, dict[str, float], dict[str, float]]], messages: int,
                window: int, repeat: int) -> None:
    """Ours next to the baseline relay of the same N; the durable server's ratio against TARGET."""
    print(f"fan-out: 1 sender, N participants; loaded = {messages} messages, {window} in flight"
          f"{f', median of {repeat} runs' if repeat > 1 else ''}; idle = {messages // 5} messages, "
          f"one at a time")
    print(f"{'N':>4}  {'server':<15} {'deliveries/s':>13} {'vs relay':>8} {'target':>10} {'p50 ms':>8} "
          f"{'p99 ms':>8}  {'idle p50':>8} {'idle p99':>8}")
    baseline: dict[int, float] = {}
    for n, name, loaded, idle in rows:
        if name == BASELINE:
            baseline[n] = loaded["deliveries_per_s"]
        ratio = loaded["deliveries_per_s"] / baseline[n]
        target = (f">={TARGET:.1f}x " + ("ok" if ratio >= TARGET else "NO")) if name == DURABLE else ""
        print(f"{n:>4}  {name:<15} {loaded['deliveries_per_s']:>13,.0f} {ratio:>7.2f}x {target:>10} "
              f"{loaded['p50_ms']:>8.2f} {loaded['p99_ms']:>8.2f}  "
              f"{idle['p50_ms']:>8.2f} {idle['p99_ms']:>8.2f}")


if __name__ == "__main__":
    main()
