"""The built panel against js/dev/harness.html (an in-page fake kernel holding 100,000 messages) in
headless Chromium: real layout, so windowing and paging are checked where jsdom cannot."""

import functools
import http.server
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
STATE = """() => {
  const s = document.querySelector('.rtkw-scroller'); const a = [...document.querySelectorAll('article')];
  const pages = window.requests.filter(r => r.kind === 'page').length;
  return {articles: a.length, scrollTop: s.scrollTop, pages};
}"""


@pytest.fixture
def harness_url():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/js/dev/harness.html"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_100k_messages_render_a_window_and_page_up_keeping_the_place(harness_url):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 700})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(harness_url)
            page.wait_for_function("document.querySelector('article[data-key=\"m100000\"]') !== null")
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
        finally:
            browser.close()
