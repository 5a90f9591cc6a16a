"""Drive dev/harness.html in headless Chromium and check the real layout (not part of CI).

Usage (from the repository root, after `npm run build` in js/):
    .venv/bin/python js/dev/smoke.py
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
STATE = """() => { const s = document.querySelector('.rtkw-scroller'); const a = [...document.querySelectorAll('article')];
  return {articles: a.length, first: a[0]?.dataset.key, last: a.at(-1)?.dataset.key, scrollTop: s.scrollTop,
          pages: window.requests.filter(r => r.kind === 'page').length}; }"""


def main() -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/js/dev/harness.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("document.querySelector('article[data-key=\"m100000\"]') !== null")
        start = page.evaluate(STATE)
        assert start["articles"] < 40, start
        for _ in range(5):
            pages = page.evaluate(STATE)["pages"]
            page.evaluate("() => { document.querySelector('.rtkw-scroller').scrollTop = 0; }")
            page.wait_for_function(f"window.requests.filter(r => r.kind === 'page').length > {pages}")
            page.wait_for_function("document.querySelector('.rtkw-scroller').scrollTop > 0")
        after = page.evaluate(STATE)
        assert after["articles"] < 60 and after["scrollTop"] > 0, after
        page.fill(".rtkw-input", "hello from the smoke test")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('article[data-key=\"m100001\"]') !== null")
        assert not errors, errors
        print("start", start, "after paging up", after)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
