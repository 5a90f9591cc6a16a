"""Every message is reachable by scrolling, in both directions, across a history longer than the
panel keeps loaded (it holds at most 1,500 messages and pages the rest in and out), without jumps.

The walk scrolls the real panel in headless Chromium by three quarters of a viewport at a time and
records which messages were on screen at each step: consecutive viewports overlap, so a message the
reader could not have seen is one the panel skipped.
"""

from __future__ import annotations

from typing import Any

import pytest

from .harness import open_harness

WALK = """async ({direction, until, maxSteps}) => {
  const s = document.querySelector('.rtkw-scroller');
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const onScreen = () => {
    const box = s.getBoundingClientRect();
    return [...s.querySelectorAll('article[data-key]')]
      .filter((a) => {
        const r = a.getBoundingClientRect();
        return r.bottom > box.top + 1 && r.top < box.bottom - 1;
      })
      .map((a) => Number(a.dataset.key.slice(1)));
  };
  const seen = new Set();
  const firsts = [];
  for (let step = 0; step < maxSteps; step++) {
    const now = onScreen();
    now.forEach((n) => seen.add(n));
    firsts.push(Math.min(...now));
    if (now.includes(until)) return {seen: [...seen], firsts, done: true};
    const before = s.scrollTop;
    const delta = direction * s.clientHeight * 0.75;
    let height = s.scrollHeight;
    s.scrollTop = before + delta;
    // At an edge of the loaded window the scroll cannot move until the next page arrives: wait
    // (bounded) for the panel to move the view itself or to grow the content, then scroll on.
    for (let i = 0; i < 600 && Math.abs(s.scrollTop - before) < 1; i++) {
      await frame();
      if (s.scrollHeight !== height && Math.abs(s.scrollTop - before) < 1) {
        height = s.scrollHeight;
        s.scrollTop = before + delta;
      }
    }
    await frame();
  }
  return {seen: [...seen], firsts, done: false};
}"""


def walk(page: Any, direction: int, until: int) -> tuple[set[int], list[int]]:
    result = page.evaluate(WALK, {"direction": direction, "until": until, "maxSteps": 2000})
    assert result["done"], f"m{until} never came into view"
    return set(result["seen"]), result["firsts"]


@pytest.mark.browser
def test_scrolling_up_then_down_past_the_loaded_window_shows_every_message_in_order(harness_url, browser):
    page, errors = open_harness(browser, harness_url, 700)

    oldest = 100_000 - 2_400  # more than a window back: the newest pages are evicted on the way up
    seen_up, firsts_up = walk(page, -1, oldest)
    assert sorted(set(range(oldest, 100_001)) - seen_up) == []
    assert firsts_up == sorted(firsts_up, reverse=True), "the view jumped down while scrolling up"
    assert page.evaluate("document.querySelector('article[data-key=\"m100000\"]') === null")

    seen_down, firsts_down = walk(page, 1, 100_000)
    top = min(seen_down)
    assert top <= oldest + 20
    assert sorted(set(range(top, 100_001)) - seen_down) == [], "messages skipped while scrolling down"
    assert firsts_down == sorted(firsts_down), "the view jumped up while scrolling down"
    forward = page.evaluate("window.requests.filter(r => r.kind === 'page' && 'after' in r.msg).length")
    assert forward >= 5, "the walk down should have loaded the evicted history back page by page"
    assert not errors, errors
