"""The panel's layout at 260, 360 and 800 px in Chromium, with the content that broke it before:
long and lookalike names, a private label, long file names and a 28-byte size."""

from __future__ import annotations

from pathlib import Path

import pytest

from .seed import SEED

LAYOUT_PROBLEMS = (Path(__file__).parents[1] / "jupyter" / "layout_problems.js").read_text()


@pytest.mark.browser
def test_nothing_overlaps_or_clips_from_260_to_800_px(harness_url, browser):
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(harness_url)
    page.wait_for_function("window.ready === true")
    page.evaluate(SEED, harness_url.split("/js/")[0])
    page.locator("article.rtkw-row", has_text="report.pdf").wait_for()
    found = {}
    for width in (260, 360, 800):
        page.evaluate("(w) => { document.getElementById('host').style.width = w + 'px'; }", width)
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        found[width] = page.evaluate(LAYOUT_PROBLEMS)
        # Narrow, the recipient picker sits on its own row above the message box; wide, beside it.
        above = page.evaluate(
            "() => document.querySelector('.rtkw-recipient').getBoundingClientRect().bottom"
            " <= document.querySelector('.rtkw-input').getBoundingClientRect().top"
        )
        assert above == (width < 480), width
    assert found == {260: [], 360: [], 800: []}
    # The second "Ada Lovelace" carries a flagged id tag.
    assert page.locator(".rtkw-lookalike").count() >= 1
