"""The built panel against js/dev/harness.html (an in-page fake kernel holding 100,000 messages) in
headless Chromium: real layout, so windowing and paging are checked where jsdom cannot."""

import pytest

from .harness import open_harness

STATE = """() => {
  const s = document.querySelector('.rtkw-scroller'); const a = [...document.querySelectorAll('article')];
  const pages = window.requests.filter(r => r.kind === 'page').length;
  return {articles: a.length, scrollTop: s.scrollTop, pages};
}"""


@pytest.mark.browser
def test_100k_messages_render_a_window_and_page_up_keeping_the_place(harness_url, browser):
    page, errors = open_harness(browser, harness_url, 800)
    start = page.evaluate(STATE)
    assert start["articles"] < 40, start
    for _ in range(5):
        pages = page.evaluate(STATE)["pages"]
        page.evaluate("() => { document.querySelector('.rtkw-scroller').scrollTop = 0; }")
        page.wait_for_function(f"window.requests.filter(r => r.kind === 'page').length > {pages}")
        page.wait_for_function("document.querySelector('.rtkw-scroller').scrollTop > 0")
    after = page.evaluate(STATE)
    assert after["articles"] < 60, after
    assert after["scrollTop"] > 0, after
    page.fill(".rtkw-input", "hello from the browser test")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('article[data-key=\"m100001\"]') !== null")
    assert not errors, errors
