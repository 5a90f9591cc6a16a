"""Reconnect soak: the suite's reconnect storm (tests/reliability/reconnect_storm.py), long.

Participants send through a fault proxy that cuts every connection 50 to 500 ms after it
opens, with the client's default backoff, until each has lived through ``--drops`` drops;
then every client must hold exactly the server's history (checked, not just timed). Figures:
drops per client, sends per second during the storm next to the same number of clients sending
through the same kind of proxy without cuts (the baseline, measured in this run), and how long
the clients took to catch up once the storm ended. (Under the storm a client that is away gets
no pushes and fetches what it missed as one catch-up page, so the server writes fewer frames:
the storm can come out faster than the baseline.)

    .venv/bin/python bench/soak.py                     # 5 participants, 1,000 drops each (~6 min)
    .venv/bin/python bench/soak.py --drops 200 -p 3    # shorter
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtk_widget.server import MeetingServer, ServerConfig
from tests.client.helpers import through
from tests.client.proxy import FaultProxy
from tests.conftest import create_meeting
from tests.reliability.reconnect_storm import NAMES, run_storm


async def baseline(server: MeetingServer, participants: int, per_client: int, in_flight: int) -> float:
    """Sends per second of the same load through the proxy, with no cuts."""
    _, people = await create_meeting(server, *NAMES[:participants], title="soak baseline")
    proxy = FaultProxy(server.port)
    await proxy.start()
    clients = [through(proxy, person["token"]) for person in people]
    try:
        for client in clients:
            await client.join_async()

        async def lane(index: int) -> None:
            client = clients[index % participants]
            for i in range(per_client // in_flight):
                await client.chat.send_text_message_async(f"baseline {index} {i}")

        started = time.monotonic()
        await asyncio.gather(*(lane(i) for i in range(participants * in_flight)))
        return participants * (per_client // in_flight) * in_flight / (time.monotonic() - started)
    finally:
        for client in clients:
            await client.leave_async()
        await proxy.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--participants", type=int, default=5, choices=range(1, len(NAMES) + 1),
                        metavar=f"1..{len(NAMES)}")
    parser.add_argument("--drops", type=int, default=1000, help="drops each client must live through")
    parser.add_argument("--in-flight", type=int, default=2, help="concurrent sends per client")
    parser.add_argument("--per-client", type=int, default=4000, help="messages per client in the baseline")
    args = parser.parse_args()

    server = MeetingServer(ServerConfig(data_dir=None, text_rate=10**9))
    await server.start()
    try:
        # The baseline runs first, so the storm's leftovers (big chats, closing sockets) cannot slow it.
        calm_rate = await baseline(server, args.participants, args.per_client, args.in_flight)
        report = await run_storm(server, participants=args.participants, drops=args.drops,
                                 in_flight=args.in_flight)
        storm_rate = report.acked / report.storm_seconds
    finally:
        await server.stop()
    print(f"participants            {args.participants}")
    print(f"drops per client        {min(report.drops)}..{max(report.drops)} (target {args.drops})")
    print(f"messages                {report.stored} stored, {report.acked} acknowledged "
          f"({len(report.unacknowledged)} sends timed out in an outage), 0 lost, 0 doubled")
    print(f"storm                   {report.storm_seconds:.1f} s")
    print(f"sends/s during storm    {storm_rate:.0f}   (no cuts, same run: {calm_rate:.0f})")
    print(f"caught up after storm   {report.converge_seconds * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
