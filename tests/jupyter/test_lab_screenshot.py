"""The panel's look in a real JupyterLab: layout checks measured in Chromium, then screenshots.

A short, realistic conversation between Ada (the panel), Bob and Carol: text with markdown, an
image preview, a file card, a pinned message and a private note. The layout checks are the
defects a screenshot once showed: the start marker over the first row, the last message cut
off at the bottom, a wrapping "Download" button, literal ``**`` and a raw id in a label.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import ARTIFACTS, LabServer, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "screenshot.ipynb"
SETUP = """
from rtk_widget import ChatWidget, Meeting

meeting = Meeting.local(display_name="Ada", title="Growth weekly")
bob = Meeting.local(display_name="Bob", meeting=meeting)
carol = Meeting.local(display_name="Carol", meeting=meeting)
widget = ChatWidget(meeting)
widget
"""

# A 240x160 gradient PNG, built in the kernel without extra packages.
CONVERSATION = """
import struct, zlib
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
W, H = 240, 160
_rows = b"".join(
    b"\\x00" + bytes(v for x in range(W) for v in (30 + x * 150 // W, 110 + y * 100 // H, 220 - x * 90 // W))
    for y in range(H)
)
CHART = (b"\\x89PNG\\r\\n\\x1a\\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
         + _chunk(b"IDAT", zlib.compress(_rows)) + _chunk(b"IEND", b""))

bob.chat.send_text_message("Morning! The **signup numbers** for week 2 are in.")
carol.chat.send_text_message("Nice, can you share the chart?")
bob.chat.send_image_message(CHART, name="signups-week-2.png")
CSV = b"week,signups\\n1,12\\n2,19\\n"
bob.chat.send_file_message(("weekly-numbers-2025-week-02-final-revised.csv", CSV))
question = carol.chat.send_text_message("Can you share the **latest** numbers for the board deck?")
widget.pin(question.id)
widget.send_text("Sure: `weekly-numbers.csv` has them, _see row 2_.")
widget.send_text("Only you see this: the __draft__ deck is in the shared folder.", to=[bob.self.user_id])
"""

SIZE = {"width": 760, "height": 560}

GEOMETRY = """
() => {
  const root = document.querySelector('.rtkw-root');
  const scroller = root.querySelector('.rtkw-scroller');
  const rows = [...root.querySelectorAll('article.rtkw-row')];
  const box = (el) => el.getBoundingClientRect();
  const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; };
  const marker = root.querySelector('.rtkw-start-marker');
  return {
    scrollTop: scroller.scrollTop,
    scrollerTop: box(scroller).top,
    scrollerBottom: box(scroller).bottom,
    firstRowTop: rows.length ? box(rows[0]).top : null,
    firstRowKey: rows.length ? rows[0].dataset.key : null,
    lastRowBottom: rows.length ? box(rows[rows.length - 1]).bottom : null,
    lastRowText: rows.length ? rows[rows.length - 1].textContent : null,
    markerText: marker ? marker.textContent : null,
    markerBottom: marker && marker.textContent ? box(marker).bottom : null,
    buttonLines: [...root.querySelectorAll('.rtkw-file .rtkw-button')].map(lines),
    fileNames: [...root.querySelectorAll('.rtkw-file-name')].map((el) => ({
      title: el.title, truncated: el.scrollWidth > el.clientWidth })),
  };
}
"""

AT_BOTTOM = """
() => {
  const root = document.querySelector('.rtkw-root');
  const scroller = root.querySelector('.rtkw-scroller');
  const rows = [...root.querySelectorAll('article.rtkw-row')];
  const last = rows[rows.length - 1];
  return !!last && last.textContent.includes('draft')
    && Math.abs(last.getBoundingClientRect().bottom - scroller.getBoundingClientRect().bottom) <= 1;
}
"""

IMAGE_LOADED = (
    "() => [...document.querySelectorAll('.rtkw-root img.rtkw-image')]"
    ".some(img => img.complete && img.naturalWidth === 240)"
)


@pytest.fixture(scope="module")
def panel_page(lab: LabServer, browser: Any) -> Iterator[Any]:
    lab.write_notebook(NOTEBOOK, [SETUP])
    # Wide enough that the notebook's output area holds the 760 px panel.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_and_run(page, lab, NOTEBOOK)
    # Lab's own toasts ("notified about Jupyter news?") would float over the screenshot.
    page.add_style_tag(content=".Toastify { display: none !important; }")
    page.locator(".rtkw-root").wait_for()
    page.get_by_role("textbox", name="Message").wait_for()
    # The panel's size in the screenshots; a resize it has to follow, too.
    page.evaluate(
        "([w, h]) => { const r = document.querySelector('.rtkw-root');"
        " r.style.width = w + 'px'; r.style.height = h + 'px'; }",
        [SIZE["width"], SIZE["height"]],
    )
    run_in_kernel(page, CONVERSATION)
    page.locator("article.rtkw-row", has_text="draft").wait_for()
    page.wait_for_function(IMAGE_LOADED)
    yield page
    run_in_kernel(page, "widget.close(); carol.leave(); bob.leave(); meeting.leave()")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    context.close()


def test_the_last_message_stays_fully_visible_after_the_image_grows_the_list(panel_page):
    # The image loaded after its row was first measured; following the bottom must survive that.
    panel_page.wait_for_function(AT_BOTTOM)
    geometry = panel_page.evaluate(GEOMETRY)
    assert geometry["lastRowBottom"] <= geometry["scrollerBottom"] + 1
    assert "draft" in geometry["lastRowText"]


def test_the_start_marker_sits_above_the_first_message(panel_page):
    panel_page.evaluate(
        "() => { const s = document.querySelector('.rtkw-root .rtkw-scroller');"
        " s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); }"
    )
    panel_page.wait_for_function(
        "() => document.querySelector('.rtkw-root .rtkw-scroller').scrollTop === 0"
        " && document.querySelector('.rtkw-start-marker').textContent === 'Start of the chat'"
    )
    geometry = panel_page.evaluate(GEOMETRY)
    assert geometry["markerBottom"] is not None
    assert geometry["markerBottom"] <= geometry["firstRowTop"] + 0.5
    assert geometry["markerBottom"] > geometry["scrollerTop"]
    panel_page.evaluate(
        "() => { const s = document.querySelector('.rtkw-root .rtkw-scroller');"
        " s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll')); }"
    )
    panel_page.wait_for_function(AT_BOTTOM)


def test_file_buttons_never_wrap_and_long_names_truncate_with_a_tooltip(panel_page):
    geometry = panel_page.evaluate(GEOMETRY)
    assert geometry["buttonLines"]
    assert all(n == 1 for n in geometry["buttonLines"])
    # The long name is cut with an ellipsis in the card and whole in its tooltip.
    name = "weekly-numbers-2025-week-02-final-revised.csv"
    assert {"title": name, "truncated": True} in geometry["fileNames"]


def test_markdown_bold_and_private_labels_read_as_words(panel_page):
    root = panel_page.locator(".rtkw-root")
    assert root.locator("strong", has_text="latest").count() >= 1
    assert "**" not in root.locator("article.rtkw-row", has_text="latest").first.inner_text()
    labels = root.locator(".rtkw-private").all_inner_texts()
    assert labels == ["to Bob"]
    pinned = root.locator(".rtkw-pinned-toggle").inner_text()
    assert pinned.startswith("Pinned (1)")


LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text()
WIDTHS = (260, 360, 800)
RESIZE = "(w) => { document.querySelector('.rtkw-root').style.width = w + 'px'; }"
SETTLED = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"


def shoot_widths(page: Any, suffix: str) -> dict[int, list[str]]:
    """Screenshots at each width into artifacts/, with the layout problems found at each."""
    ARTIFACTS.mkdir(exist_ok=True)
    found: dict[int, list[str]] = {}
    for width in WIDTHS:
        page.evaluate(RESIZE, width)
        page.evaluate(SETTLED)
        page.wait_for_function(AT_BOTTOM)
        found[width] = page.evaluate(LAYOUT_PROBLEMS)
        shot = ARTIFACTS / f"chat-panel-{width}{suffix}.png"
        page.locator(".rtkw-root").screenshot(path=str(shot))
        assert shot.stat().st_size > 5000
    page.evaluate(RESIZE, SIZE["width"])
    return found


def test_the_layout_holds_from_260_to_800_px_in_the_light_and_dark_themes(panel_page):
    assert shoot_widths(panel_page, "") == {width: [] for width in WIDTHS}
    switch = "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})"
    is_light = "(light) => document.body.dataset.jpThemeLight === String(light)"
    panel_page.evaluate(switch, "JupyterLab Dark")
    try:
        panel_page.wait_for_function(is_light, arg=False)
        # The panel follows Lab's variables: its background turns dark.
        panel_page.wait_for_function(
            "() => { const [r, g, b] = getComputedStyle(document.querySelector('.rtkw-root'))"
            ".backgroundColor.match(/\\d+/g).map(Number); return r + g + b < 200; }"
        )
        # Lab covers the page with its splash screen while it swaps themes.
        panel_page.wait_for_function("() => document.querySelector('#jupyterlab-splash') === null")
        assert shoot_widths(panel_page, "-dark") == {width: [] for width in WIDTHS}
    finally:
        panel_page.evaluate(switch, "JupyterLab Light")
        panel_page.wait_for_function(is_light, arg=True)


def test_the_new_messages_button_takes_room_below_the_list_instead_of_covering_it(panel_page):
    panel_page.evaluate(RESIZE, 260)
    try:
        panel_page.evaluate(
            "() => { const s = document.querySelector('.rtkw-root .rtkw-scroller');"
            " s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); }"
        )
        run_in_kernel(panel_page, "bob.chat.send_text_message('while you were reading')")
        button = panel_page.locator(".rtkw-root .rtkw-new-messages")
        button.wait_for()
        assert button.inner_text().startswith("1 new message")
        assert panel_page.evaluate(LAYOUT_PROBLEMS) == []
        button.click()
        panel_page.locator("article.rtkw-row", has_text="while you were reading").wait_for()
        button.wait_for(state="hidden")
    finally:
        panel_page.evaluate(RESIZE, SIZE["width"])
