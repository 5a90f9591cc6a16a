"""An unread count when the panel is out of view: the notebook scrolled away from the chat, new
messages arrive, a button at the window's edge counts them and brings the chat back."""

from __future__ import annotations

import pytest

BOB_SAYS = """(n) => window.pushDeltas(Array.from({length: n}, (_, i) => ({op: 'upsert', message: {
  id: 'u' + Date.now() + i, type: 'text', userId: 'bob', displayName: 'Bob', time: Date.now(),
  order: 200000 + i + window.requests.length, edited: false, pinned: false, targetUserIds: [],
  text: 'unread ' + i}})))"""


@pytest.mark.browser
def test_messages_arriving_out_of_view_are_counted_at_the_window_edge(harness_url, browser):
    page = browser.new_page(viewport={"width": 800, "height": 700})
    page.goto(harness_url)
    page.wait_for_function("window.ready === true")
    page.locator("article.rtkw-row", has_text="message 100000").wait_for()
    # A long notebook below the chat, scrolled far past it.
    page.evaluate("() => { const d = document.createElement('div'); d.style.height = '4000px';"
                  " document.body.append(d); window.scrollTo(0, 3000); }")
    beacon = page.locator(".rtkw-beacon")
    page.evaluate(BOB_SAYS, 3)
    beacon.wait_for()
    assert beacon.inner_text() == "3 new chat messages ↑"
    # The panel was at the newest message: it still follows, but nobody saw these.
    assert page.locator(".rtkw-root .rtkw-new-messages").inner_text().startswith("3 new messages")
    beacon.click()
    page.locator("article.rtkw-row", has_text="unread 2").wait_for()
    beacon.wait_for(state="hidden")
    assert page.evaluate("() => document.querySelector('.rtkw-root').getBoundingClientRect().top") >= 0
    assert page.locator(".rtkw-root .rtkw-new-messages").is_hidden()
