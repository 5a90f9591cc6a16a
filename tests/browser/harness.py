"""Opening the harness page (js/dev/harness.html) in the browser tests."""

from __future__ import annotations

from typing import Any


def open_harness(browser: Any, url: str, width: int, height: int = 700) -> tuple[Any, list[str]]:
    """A page on the harness with the newest message shown, and the page errors it raises."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function("document.querySelector('article[data-key=\"m100000\"]') !== null")
    return page, errors
