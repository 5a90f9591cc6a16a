"""ChatWidget in a real JupyterLab, driven through headless Chromium.

One notebook per module: Ada's panel (the widget) and Bob, a second Python
participant in the same kernel. The kernel reports ``widget.messages`` to the
test's sink on every change, so Python-side effects are awaited, not polled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .lab import LabServer, Sink, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "chat.ipynb"
SETUP = """
import httpx
from rtk_widget import ChatWidget, Meeting

SINK = {sink!r}
meeting = Meeting.local(display_name="Ada", title="Lab test chat")
bob = Meeting.local(display_name="Bob", meeting=meeting)
widget = ChatWidget(meeting)

def report(change=None):
    rows = [{{"id": m.id, "type": m.type, "text": getattr(m, "message", None), "pinned": m.pinned,
              "edited": m.is_edited, "user": m.display_name}} for m in widget.messages]
    httpx.post(SINK + "/report/messages", json=rows)

widget.observe(report, "messages")
widget
"""

# A 2x2 PNG, red and blue, built in the kernel without extra packages.
PNG = """
import struct, zlib
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
_rows = b"".join(b"\\x00" + bytes([255, 0, 0, 0, 0, 255]) for _ in range(2))
PNG = (b"\\x89PNG\\r\\n\\x1a\\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
       + _chunk(b"IDAT", zlib.compress(_rows)) + _chunk(b"IEND", b""))
"""


# Records anything hostile content might trigger: dialogs, and console output mentioning "xss".
HOOKS = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
}
for (const level of ["log", "info", "warn", "error"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (args.some((a) => String(a).includes("xss"))) window.__xss.push("console:" + args.join(" "));
    original(...args);
  };
}
"""


@pytest.fixture(scope="module")
def chat_page(lab: LabServer, sink: Sink, browser: Any) -> Iterator[Any]:
    lab.write_notebook(NOTEBOOK, [SETUP.format(sink=sink.url)])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(HOOKS)
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_and_run(page, lab, NOTEBOOK)
    page.locator(".rtkw-root").wait_for()
    page.get_by_role("textbox", name="Message").wait_for()
    yield page
    run_in_kernel(page, "widget.close(); bob.leave(); meeting.leave()")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    context.close()


def row(page: Any, text: str) -> Any:
    return page.locator("article.rtkw-row", has_text=text)


def latest(sink: Sink, predicate: Any) -> list[dict[str, Any]]:
    return sink.wait_for("messages", predicate)


def test_a_message_typed_in_the_panel_reaches_python(chat_page, sink):
    composer = chat_page.get_by_role("textbox", name="Message")
    composer.fill("typed in the panel")
    composer.press("Enter")
    rows = latest(sink, lambda rows: any(r["text"] == "typed in the panel" for r in rows))
    assert [r["user"] for r in rows if r["text"] == "typed in the panel"] == ["Ada"]
    row(chat_page, "typed in the panel").wait_for()


def test_a_message_from_another_python_participant_appears_in_the_panel(chat_page):
    run_in_kernel(chat_page, "bob.chat.send_text_message('hello from Bob')")
    message = row(chat_page, "hello from Bob")
    message.wait_for()
    assert "Bob" in message.locator(".rtkw-name").inner_text()


def test_an_image_preview_loads(chat_page):
    run_in_kernel(chat_page, PNG + "\nbob.chat.send_image_message(PNG, name='dots.png')")
    chat_page.wait_for_function(
        "() => [...document.querySelectorAll('.rtkw-root img.rtkw-image')]"
        ".some(img => img.complete && img.naturalWidth === 2)"
    )


def test_files_attached_in_the_panel_are_uploaded_through_the_comm(chat_page, sink, tmp_path):
    # 600 kB: several upload chunks, each a binary comm buffer.
    content = bytes(range(256)) * 2400
    attachment = tmp_path / "measurements.bin"
    attachment.write_bytes(content)
    chat_page.locator(".rtkw-composer input[type=file]").set_input_files(str(attachment))
    chat_page.get_by_role("button", name="Send", exact=True).click()
    rows = latest(sink, lambda rows: any(r["type"] == "file" and r["user"] == "Ada" for r in rows))
    assert [r["type"] for r in rows][-1] == "file"
    received = run_in_kernel(
        chat_page,
        "import httpx\nlast = widget.messages[-1]\nbody = httpx.get(last.link).content",
        "[last.name, last.size, body == bytes(range(256)) * 2400]",
    )
    assert received == ["measurements.bin", len(content), True]


def test_edit_pin_and_delete_in_the_panel_reach_python(chat_page, sink):
    run_in_kernel(chat_page, "widget.send_text('draft from Ada')")
    message = row(chat_page, "draft from Ada")
    message.hover()
    message.get_by_role("button", name="Edit message").click()
    editor = chat_page.get_by_role("textbox", name="Edit message")
    editor.fill("final from Ada")
    editor.press("Enter")
    rows = latest(sink, lambda rows: any(r["text"] == "final from Ada" and r["edited"] for r in rows))
    message_id = next(r["id"] for r in rows if r["text"] == "final from Ada")

    message = row(chat_page, "final from Ada")
    message.hover()
    message.get_by_role("button", name="Pin message").click()
    latest(sink, lambda rows: any(r["id"] == message_id and r["pinned"] for r in rows))
    assert run_in_kernel(chat_page, "", "[m.id for m in widget.pinned]") == [message_id]

    message.hover()
    message.get_by_role("button", name="Delete message").click()
    message.get_by_role("button", name="Delete", exact=True).click()
    latest(sink, lambda rows: all(r["id"] != message_id for r in rows))
    message.wait_for(state="detached")


def test_images_load_through_the_kernel_when_the_browser_cannot_reach_the_server(chat_page):
    link = run_in_kernel(
        chat_page, "probe = bob.chat.send_file_message(('probe.txt', b'probe'))", "probe.link"
    )
    origin = "/".join(link.split("/")[:3])
    blocked: list[str] = []

    def refuse(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    chat_page.route(f"{origin}/**", refuse)
    try:
        run_in_kernel(chat_page, PNG + "\nbob.chat.send_image_message(PNG, name='unreachable.png')")
        chat_page.wait_for_function(
            "() => [...document.querySelectorAll('.rtkw-root img.rtkw-image')]"
            ".some(img => img.src.startsWith('blob:') && img.complete && img.naturalWidth === 2)"
        )
    finally:
        chat_page.unroute(f"{origin}/**")


# Every element under the panel: no event-handler attributes, no active elements, only safe URLs.
AUDIT = """
(server) => {
  const all = [...document.querySelector('.rtkw-root').querySelectorAll('*')];
  const active = ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'DETAILS'];
  return {
    handlers: all.flatMap((el) => [...el.attributes]
      .filter((a) => a.name.toLowerCase().startsWith('on'))
      .map((a) => el.tagName + ' ' + a.name)),
    dangerous: all
      .filter((el) => active.includes(el.tagName.toUpperCase())
                      || (el.tagName === 'FORM' && !el.classList.contains('rtkw-composer')))
      .map((el) => el.tagName),
    hrefs: all.filter((el) => el.hasAttribute('href')).map((el) => el.getAttribute('href'))
      .filter((href) => !/^(https?:|mailto:|blob:)/i.test(href)),
    srcs: all.filter((el) => el.hasAttribute('src')).map((el) => el.getAttribute('src'))
      .filter((src) => !src.startsWith('blob:') && !src.startsWith(server + '/')),
  };
}
"""


def payloads(sink: str) -> list[str]:
    return [
        f"<img src=x onerror=\"fetch('{sink}/xss-img');alert('xss-img')\">",
        f"<script>fetch('{sink}/xss-script');alert('xss-script')</script>",
        f"[click me](javascript:fetch('{sink}/xss-md-link'))",
        "<a href=\"javascript:alert('xss-a')\">link</a> and javascript:alert('xss-bare')",
        f"<svg onload=\"fetch('{sink}/xss-svg')\"><circle r=5 /></svg>",
        "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
        f'<form action="{sink}/xss-form"><button>go</button></form>',
        f'![tracker]({sink}/xss-md-image.png) <img src="{sink}/xss-remote.png">',
        f"<details open ontoggle=\"fetch('{sink}/xss-toggle')\">x</details>",
    ]


def test_hostile_content_does_not_execute(chat_page, sink):
    # The detectors work: a dialog from the page is recorded.
    assert chat_page.evaluate("() => { alert('xss-control'); return window.__xss.splice(0); }") == [
        "alert:xss-control"
    ]
    origin_probe = "origin = bob.chat.send_file_message(('origin.txt', b'o'))"
    server = run_in_kernel(chat_page, origin_probe, "'/'.join(origin.link.split('/')[:3])")
    hostile = f"<img src=x onerror=\"fetch('{sink.url}/xss-name');alert('xss-name')\">"
    code = (
        f"mallory = Meeting.local(display_name={hostile!r}, meeting=meeting)\n"
        f"for text in {payloads(sink.url)!r}:\n"
        "    mallory.chat.send_text_message(text)\n"
        f"mallory.chat.send_file_message(({hostile + '.txt'!r}, b'payload'))\n"
        "mallory.chat.send_text_message('payloads done')\n"
    )
    run_in_kernel(chat_page, code)
    row(chat_page, "payloads done").wait_for()
    # Let every eagerly loading image settle (an onerror fires when loading fails). The panel's own
    # previews load lazily, so one scrolled out of view never completes; an injected <img> would
    # not carry that attribute.
    chat_page.wait_for_function(
        "() => [...document.images].every((img) => img.complete || img.loading === 'lazy')"
    )
    chat_page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))")

    assert chat_page.evaluate("() => window.__xss") == []
    assert [hit for hit in sink.hits if "xss" in hit] == []
    audit = chat_page.evaluate(AUDIT, server)
    assert audit == {"handlers": [], "dangerous": [], "hrefs": [], "srcs": []}
    # The payloads are shown as text, not swallowed.
    assert row(chat_page, "<script>").count() == 1
    assert chat_page.locator(".rtkw-root").get_by_text("onerror", exact=False).count() >= 1
    run_in_kernel(chat_page, "mallory.leave()")
