"""A past session replayed in a real JupyterLab: a ``ReplayWidget`` over a DataFrame shows no
composer; play reveals the rows in chat order, the scrubber (by keyboard) goes back and forth, and
the controls hold their layout from 260 to 800 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import ARTIFACTS, LabServer, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "replay.ipynb"
SETUP = """
from datetime import UTC, datetime, timedelta
from rtk_widget import ReplayWidget
from rtk_widget.client.export import to_dataframe
from rtk_widget.client.messages import TextMessage

start = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
lines = [("ada", "Shall we start with the roadmap?"), ("bob", "Yes, slide 3 first"),
         ("carol", "I have the numbers"), ("ada", "Go ahead, Carol"),
         ("carol", "Signups doubled in week 2"), ("bob", "Great, let's ship it")]
said = [TextMessage(id=f"m{i}", user_id=who, display_name=who.title(), time=start + timedelta(seconds=4 * i),
                    time_ms=int((start + timedelta(seconds=4 * i)).timestamp() * 1000), message=text)
        for i, (who, text) in enumerate(lines, start=1)]
frame = to_dataframe(said)
replay = ReplayWidget(frame, title="Design review", position=0)
replay
"""
IDS = [f"m{i}" for i in range(1, 7)]

# Every row key in the order it first appeared in the panel.
RECORD_APPEARANCES = """
() => {
  window.__appeared = [];
  const root = document.querySelector('.rtkw-root');
  const note = () => {
    for (const row of root.querySelectorAll('article[data-key]')) {
      if (!window.__appeared.includes(row.dataset.key)) window.__appeared.push(row.dataset.key);
    }
  };
  new MutationObserver(note).observe(root, {childList: true, subtree: true});
}
"""
ROW_KEYS = "() => [...document.querySelectorAll('.rtkw-root article[data-key]')].map((a) => a.dataset.key)"
RESIZE = "(w) => { document.querySelector('.rtkw-root').style.width = w + 'px'; }"
SETTLED = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
CONTROL_PROBLEMS = """
() => {
  const root = document.querySelector('.rtkw-root');
  const box = (el) => el.getBoundingClientRect();
  const outer = box(root);
  const names = ['play', 'scrubber', 'time', 'speed'].map((n) => `.rtkw-replay-${n}`).join(', ');
  const parts = [...root.querySelectorAll(names)];
  const problems = [];
  parts.forEach((a, i) => parts.slice(i + 1).forEach((b) => {
    const [p, q] = [box(a), box(b)];
    const across = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const down = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (across > 1 && down > 1)
      problems.push(`${a.className} over ${b.className}`);
  }));
  for (const el of parts) {
    const r = box(el);
    if (r.right > outer.right + 0.5 || r.left < outer.left - 0.5) problems.push(`${el.className} outside`);
  }
  if (box(root.querySelector('.rtkw-replay-scrubber')).width < 100) problems.push('scrubber under 100 px');
  const time = root.querySelector('.rtkw-replay-time');
  if (time.scrollWidth > time.clientWidth + 1 || box(time).height > 30) problems.push('time wraps or clips');
  if (box(root.querySelector('.rtkw-scroller')).height < 100) problems.push('message list under 100 px');
  return problems;
}
"""


@pytest.fixture
def replay_page(lab: LabServer, page: Any) -> Iterator[Any]:
    lab.write_notebook(NOTEBOOK, [SETUP])
    open_and_run(page, lab, NOTEBOOK)
    page.add_style_tag(content=".Toastify { display: none !important; }")
    page.locator(".rtkw-root .rtkw-replay").wait_for()
    yield page
    run_in_kernel(page, "replay.close()")


def test_play_reveals_the_rows_in_order_with_no_composer(replay_page):
    page = replay_page
    root = page.locator(".rtkw-root")
    assert root.locator(".rtkw-composer").count() == 0
    assert page.get_by_role("textbox", name="Message").count() == 0
    assert root.locator(".rtkw-status").inner_text() == "Past session, read-only"
    assert root.locator(".rtkw-replay-time").inner_text() == "0:00 / 0:20"
    assert page.evaluate(ROW_KEYS) == []

    page.evaluate(RECORD_APPEARANCES)
    root.get_by_label("Replay speed").select_option("16")
    play = root.get_by_role("button", name="Play")
    play.focus()
    page.keyboard.press("Enter")  # the keyboard works the controls
    page.wait_for_function(f"() => ({ROW_KEYS})().length === {len(IDS)}")
    assert page.evaluate("() => window.__appeared") == IDS
    assert page.evaluate(ROW_KEYS) == IDS
    root.get_by_role("button", name="Replay").wait_for()  # stopped at the end
    assert root.locator(".rtkw-replay-time").inner_text() == "0:20 / 0:20"
    state = "[replay.replay_position, replay.replay_playing, replay.replay_speed]"
    assert run_in_kernel(page, "", state) == [6, False, 16.0]


def test_the_scrubber_moves_back_and_forth_and_python_sees_it(replay_page):
    page = replay_page
    run_in_kernel(page, "replay.seek(len(replay.session))")
    page.wait_for_function(f"() => ({ROW_KEYS})().length === {len(IDS)}")
    scrubber = page.get_by_role("slider", name="Session time")
    scrubber.focus()
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({ROW_KEYS})().length === 0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({ROW_KEYS})().join() === {','.join(IDS[:2])!r}")
    assert scrubber.get_attribute("aria-valuetext") == "0:04 of 0:20, 2 of 6 messages"
    assert run_in_kernel(page, "", "[m.id for m in replay.messages]") == IDS[:2]
    # Python moves it too, and the panel follows.
    run_in_kernel(page, "replay.seek(timedelta(seconds=12))")
    page.wait_for_function(f"() => ({ROW_KEYS})().join() === {','.join(IDS[:4])!r}")
    assert scrubber.input_value() == "4"
    # A long jump reloads the panel instead of sending a delta per message (made long here).
    run_in_kernel(page, "import rtk_widget.widget._replay as replay_module; replay_module.RELOAD_AFTER = 2")
    run_in_kernel(page, "replay.seek(0)")
    page.wait_for_function(f"() => ({ROW_KEYS})().length === 0")
    run_in_kernel(page, "replay.seek(6)")
    page.wait_for_function(f"() => ({ROW_KEYS})().join() === {','.join(IDS)!r}")


def test_the_controls_hold_their_layout_from_260_to_800_px(replay_page):
    page = replay_page
    run_in_kernel(page, "replay.seek(4)")
    page.wait_for_function(f"() => ({ROW_KEYS})().length === 4")
    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    for width in (260, 360, 800):
        page.evaluate(RESIZE, width)
        page.evaluate(SETTLED)
        found[width] = page.evaluate(CONTROL_PROBLEMS)
        page.locator(".rtkw-root").screenshot(path=str(ARTIFACTS / f"replay-panel-{width}.png"))
    assert found == {260: [], 360: [], 800: []}
