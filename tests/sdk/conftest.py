"""Fixtures for running the official RealtimeKit web SDK against rtk-widget's server.

Layout (docs/protocol.md §1 and §3): the meeting server speaks TLS on 127.0.0.1 and the SDK is given
``baseURI = "rtk.localhost:<port>"``, so it calls https://api.rtk.localhost:<port> and dials
wss://socket-edge.rtk.localhost:<port>/ws; Chromium resolves *.localhost to loopback itself.
The page comes from a second loopback origin, https://app.rtk.localhost:<port2>.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from rtk_widget.server import ServerConfig
from tests.sdk.app_server import SDK_BUNDLE, AppServer
from tests.sdk.participant import OpenPage, SdkParticipant
from tests.sdk.room import Room, make_room
from tests.sdk.server_thread import ServerThread
from tests.sdk.tls import write_self_signed

SDK_DIR = Path(__file__).parent
SDK_VERSION = "2.0.2"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--ignore-certificate-errors",
]


def _installed_sdk_version() -> str | None:
    manifest = SDK_DIR / "node_modules" / "@cloudflare" / "realtimekit" / "package.json"
    if not manifest.exists() or not SDK_BUNDLE.exists():
        return None
    return str(json.loads(manifest.read_text())["version"])


@pytest.fixture(scope="session")
def sdk_bundle() -> Path:
    """The SDK's dist/browser.js, installed from package-lock.json with `npm ci` when missing."""
    if _installed_sdk_version() != SDK_VERSION:
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed to install @cloudflare/realtimekit for the SDK tests"
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=SDK_DIR,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"npm ci failed in {SDK_DIR}:\n{done.stderr[-2000:]}"
    assert _installed_sdk_version() == SDK_VERSION
    return SDK_BUNDLE


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for *.rtk.localhost and 127.0.0.1."""
    return write_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def app_server(sdk_bundle: Path, tls_pair: tuple[Path, Path]) -> Iterator[AppServer]:
    """The HTTPS origin that serves the test page and the SDK bundle."""
    server = AppServer(*tls_pair)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium per test module.

    Not per session: Playwright's sync API keeps its event loop registered as the running loop
    of the main thread while it is started, which breaks pytest-asyncio tests of other modules.
    """
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


PING_INTERVAL_S = 1.0
"""Server keep-alive period in these tests: short, so every test also exercises pings and pongs."""


def start_tls_server(tls_pair: tuple[Path, Path], data_dir: Path | None = None,
                     port: int = 0) -> ServerThread:
    """A meeting server speaking HTTPS/WSS on 127.0.0.1, with an in-memory or on-disk store."""
    return ServerThread(ServerConfig(tls_cert=tls_pair[0], tls_key=tls_pair[1], data_dir=data_dir,
                                     port=port, ping_interval_s=PING_INTERVAL_S))


@pytest.fixture(scope="module")
def sdk_server(tls_pair: tuple[Path, Path]) -> Iterator[ServerThread]:
    """One TLS meeting server per test module; tests isolate themselves with fresh meetings."""
    server = start_tls_server(tls_pair)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_sdk_page(browser: Browser, app_server: AppServer) -> Iterator[OpenPage]:
    """Opens the test page in a fresh browser context (own storage) per participant."""
    contexts: list[BrowserContext] = []
    participants: list[SdkParticipant] = []

    def open_page(label: str) -> SdkParticipant:
        context = browser.new_context(ignore_https_errors=True)
        contexts.append(context)
        page = context.new_page()
        participant = SdkParticipant(page, label)
        participants.append(participant)
        page.goto(app_server.page_url)
        page.wait_for_function("() => window.rtkHarness && window.RealtimeKitClient")
        return participant

    yield open_page
    for context in contexts:
        context.close()
    # An uncaught exception inside the SDK means our server sent something it cannot digest.
    assert {p.label: p.page_errors for p in participants if p.page_errors} == {}


@pytest.fixture(scope="module")
def room(sdk_server: ServerThread, open_sdk_page: OpenPage, request: pytest.FixtureRequest) -> Room:
    """alice, bob and carol joined to one fresh meeting, shared by the tests of a module."""
    return make_room(sdk_server, open_sdk_page, request.module.__name__)
