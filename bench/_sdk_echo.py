"""The "Python <-> official SDK in Chromium" leg of bench/latency.py.

A Python participant (``Meeting``, over HTTPS/WSS with ``verify=<the test certificate>``) sends
``ping:<n>``; the official ``@cloudflare/realtimekit`` SDK in headless Chromium answers each with
``pong:<n>`` from a ``chatUpdate`` listener; the Python side stops its clock on the pong's
``newMessage`` callback. Both ends of the clock are one ``time.perf_counter`` in this process,
so the figure is a round trip (halved: a one-way estimate). The pages, certificate, app server
and SDK checks are tests/sdk's own helpers.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Installed in the page through page.evaluate: echo every ping from someone else as a pong.
ECHO_JS = """() => {
  meeting.chat.updateRateLimits(1e9, 60);
  meeting.chat.on("chatUpdate", ({ action, message }) => {
    if (action === "add" && message.userId !== meeting.self.userId
        && typeof message.message === "string" && message.message.startsWith("ping:")) {
      meeting.chat.sendTextMessage("pong:" + message.message.slice(5));
    }
  });
}"""


def why_unavailable() -> str | None:
    """Why the leg cannot run here (no Chromium, Playwright or SDK package), else None."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from tests.sdk.conftest import CHROMIUM, SDK_VERSION, _installed_sdk_version
    except ImportError as exc:
        return f"tests/sdk helpers need Playwright and pytest ({exc})"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    if _installed_sdk_version() != SDK_VERSION:
        return (f"@cloudflare/realtimekit@{SDK_VERSION} is not installed in tests/sdk "
                "(run `npm ci` there, or the SDK tests once)")
    return None


def write_certificate(directory: Path) -> tuple[Path, Path]:
    """tests/sdk's self-signed certificate and key (rtk.localhost, *.rtk.localhost, 127.0.0.1)."""
    from tests.sdk.tls import write_self_signed

    return write_self_signed(directory)


def round_trips(tls_port: int, tokens: dict[str, str], tls_pair: tuple[Path, Path],
                messages: int) -> list[float]:
    """Seconds per ping/pong round trip, ``messages`` of them after 20 warm-up rounds."""
    from playwright.sync_api import sync_playwright

    from rtk_widget.client import Meeting
    from tests.sdk.app_server import AppServer
    from tests.sdk.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.sdk.participant import SdkParticipant

    cert = tls_pair[0]
    app = AppServer(*tls_pair)
    app.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(ignore_https_errors=True).new_page()
                sdk = SdkParticipant(page, "sdk")
                page.goto(app.page_url)
                page.wait_for_function("() => window.rtkHarness && window.RealtimeKitClient")
                sdk.init_and_join(tokens["sdk"], f"rtk.localhost:{tls_port}")
                page.evaluate(ECHO_JS)
                return _ping_pong(Meeting(tokens["python"], base_url=f"https://api.rtk.localhost:{tls_port}",
                                          verify=cert), sdk, messages)
            finally:
                browser.close()
    finally:
        app.stop()


def _ping_pong(meeting: Any, sdk: Any, messages: int) -> list[float]:
    pongs: dict[str, float] = {}
    arrived = threading.Condition()

    def on_new(message: Any) -> None:
        text = getattr(message, "text", "")
        if text.startswith("pong:"):
            with arrived:
                pongs[text[5:]] = time.perf_counter()
                arrived.notify_all()

    meeting.join()
    try:
        sdk.wait_peer(meeting.self.user_id)
        meeting.chat.update_rate_limits(10**9, 60)
        meeting.chat.on("newMessage", on_new)
        samples = []
        for i in range(messages + 20):
            key = f"{i:08d}"
            start = time.perf_counter()
            meeting.chat.send_text_message(f"ping:{key}")
            with arrived:
                assert arrived.wait_for(_has(pongs, key), 10), f"no pong for ping {key}"
            if i >= 20:  # warm-up
                samples.append(pongs[key] - start)
        return samples
    finally:
        meeting.leave()


def _has(pongs: dict[str, float], key: str) -> Callable[[], bool]:
    return lambda: key in pongs
