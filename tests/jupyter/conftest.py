"""Fixtures: one JupyterLab and one Chromium per session, a fresh page per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer, Sink, running_lab, running_sink


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab") / "root"
    root.mkdir()
    with running_lab(root) as server:
        yield server


@pytest.fixture(scope="session")
def sink() -> Iterator[Sink]:
    with running_sink() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Per module, not per session: while started, Playwright's sync API stays registered as the
    # main thread's running loop, which would break pytest-asyncio tests in other folders.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
    page.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
