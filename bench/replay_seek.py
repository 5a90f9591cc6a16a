"""Scrubbing a long replay: a ReplayWidget moving from the end of a session to its start and back.

Figures: seconds per move and deltas pushed to the panel, for the widget as it is (a long move
makes the panel reload from the store) and, as the baseline in the same run, for the same widget
made to send one delta per message revealed or hidden (the reload threshold set out of reach).

    .venv/bin/python bench/replay_seek.py                 # 20,000 messages
    .venv/bin/python bench/replay_seek.py --messages 100000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from rtk_widget.client.messages import TextMessage
from rtk_widget.widget import ReplayWidget, _replay


def session(count: int) -> list[TextMessage]:
    start = datetime(2026, 3, 4, tzinfo=UTC)
    moments = [start + timedelta(seconds=i) for i in range(count)]
    return [TextMessage(id=f"m{i}", user_id="u", display_name="U", time=moment,
                        time_ms=round(moment.timestamp() * 1000), message=f"line {i}")
            for i, moment in enumerate(moments)]


def scrub(messages: list[TextMessage]) -> tuple[float, float, int]:
    """Seconds to seek to the start, seconds back to the end, and delta items pushed."""
    pushed: list[dict[str, Any]] = []
    replay = ReplayWidget(messages)
    replay.send = lambda content, buffers=None: pushed.append(content)  # type: ignore[method-assign,assignment]
    try:
        timings = []
        for position in (0, len(messages)):
            start = time.perf_counter()
            replay.seek(position)
            replay._feed.dispatcher.flush()  # every push made
            timings.append(time.perf_counter() - start)
        return timings[0], timings[1], sum(len(p.get("items", [])) for p in pushed)
    finally:
        replay.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    messages = session(args.messages)
    now = scrub(messages)
    threshold = _replay.RELOAD_AFTER
    _replay.RELOAD_AFTER = args.messages + 1
    try:
        baseline = scrub(messages)
    finally:
        _replay.RELOAD_AFTER = threshold
    print(f"{args.messages} messages      to start (s)  to end (s)  deltas pushed")
    for name, (back, forth, items) in (("reload (as built)", now), ("delta per message", baseline)):
        print(f"{name:<20}  {back:12.4f}  {forth:10.4f}  {items:13d}")


if __name__ == "__main__":
    main()
