"""The reconnect storm, short form: each client lives through well over a hundred drops (the
client once gave up for good after 50) with its default backoff, and ends with exactly the
server's history. ``bench/soak.py`` runs the long form."""

from __future__ import annotations

import pytest

from rtk_widget.server import ServerConfig

from .reconnect_storm import run_storm
from .support import scale

PARTICIPANTS = 4
DROPS = 120 * scale()


@pytest.fixture
def server_config() -> ServerConfig:
    # Thousands of sends in a minute: lift the server's 180/min rate limit for this module.
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, text_rate=1_000_000)


async def test_every_client_survives_well_over_a_hundred_drops_and_converges(server):
    report = await run_storm(server, participants=PARTICIPANTS, drops=DROPS)
    assert all(drops >= DROPS for drops in report.drops), report.drops
    # Every acknowledged send is stored once; a send that outlived a long outage may be stored or not.
    assert report.acked <= report.stored <= report.acked + len(report.unacknowledged)
