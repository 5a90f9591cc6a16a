"""The built front end against a real ChatWidget, a real meeting server and real Chromium.

No Jupyter: the comm is bridged by Playwright (page -> `deliver` into the widget's comm
entry point; `widget.send` and trait changes -> the page). A manual check, not part of CI:
    .venv/bin/python js/dev/e2e.py        (after `npm run build` in js/)
"""

from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from rtk_widget import Meeting
from rtk_widget.widget import ChatWidget

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SYNCED = ["connection_state", "self_info", "participants", "last_error", "limits", "title", "media_mode"]


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + bytes([255, 0, 0, 0, 0, 255] * 8)
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * 16)) + chunk(b"IEND", b"")


def deliver(widget: ChatWidget, content: Any, buffers: list[bytes]) -> None:
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers})


async def bridge(page: Page, widget: ChatWidget) -> asyncio.Task[None]:
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue[tuple[str, Any, Any]] = asyncio.Queue()

    def send(content: Any, buffers: list[bytes] | None = None) -> None:
        encoded = [base64.b64encode(bytes(b)).decode() for b in buffers or []]
        loop.call_soon_threadsafe(outbox.put_nowait, ("msg", content, encoded))

    widget.send = send  # type: ignore[method-assign]
    widget.observe(
        lambda ch: loop.call_soon_threadsafe(outbox.put_nowait, ("trait", ch["name"], ch["new"])), names=SYNCED)
    await page.expose_function(
        "toPython", lambda content, buffers: deliver(widget, content, [base64.b64decode(b) for b in buffers]))

    async def pump() -> None:
        while True:
            kind, a, b = await outbox.get()
            if kind == "msg":
                await page.evaluate("([c, b]) => window.fromPython(c, b)", [a, b])
            else:
                await page.evaluate("([n, v]) => window.setTrait(n, v)", [a, b])

    task = asyncio.create_task(pump())
    await page.evaluate("(t) => window.mount(t)", {name: getattr(widget, name) for name in SYNCED})
    return task


async def main() -> None:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ada = Meeting.local(display_name="Ada")
    bob = Meeting.local(display_name="Bob", meeting=ada)
    for i in range(30):
        bob.chat.send_text_message(f"bob {i}")
    widget = ChatWidget(ada)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 900, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"http://127.0.0.1:{server.server_address[1]}/js/dev/bridge.html")
        pump = await bridge(page, widget)

        await page.wait_for_selector("article:has-text('bob 29')")
        print("history: last page shown")
        bob.chat.send_text_message("live from bob")
        await page.wait_for_selector("article:has-text('live from bob')")
        print("live push: shown")

        await page.fill(".rtkw-input", "hello from the browser")
        await page.keyboard.press("Enter")
        await page.wait_for_function("() => !document.querySelector('.rtkw-pending')")
        assert any(getattr(m, "message", None) == "hello from the browser" for m in bob.chat.messages)
        print("composer send: Bob received it")

        dot = {"name": "dot.png", "mimeType": "image/png", "buffer": png()}
        await page.set_input_files("input[type=file]", files=[dot])
        await page.click(".rtkw-send")
        await page.wait_for_function(
            "() => [...document.querySelectorAll('img.rtkw-image')].some(i => i.complete && i.naturalWidth === 16)")
        print("image upload: preview loaded")

        widget.media_mode = "kernel"
        await page.wait_for_function(
            "() => [...document.querySelectorAll('img.rtkw-image')]"
            ".some(i => i.src.startsWith('blob:') && i.naturalWidth === 16)")
        print("media_mode=kernel: preview loaded through the kernel")

        bob.chat.send_text_message("psst", [ada.peer_id])
        await page.wait_for_selector("article:has-text('psst') .rtkw-private")
        row = page.locator("article:has-text('live from bob')")
        await row.hover()
        await row.locator("[data-action='pin']").click()
        await page.wait_for_selector(".rtkw-pinned-bar:not([hidden])")
        assert [m.id for m in widget.pinned], "Python sees the pin"
        print("private mark and pin: ok")

        mine = page.locator("article:has-text('hello from the browser')")
        await mine.hover()
        await mine.locator("[data-action='edit']").click()
        await page.fill("[data-role='edit-input']", "hello, edited")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("article:has-text('hello, edited') .rtkw-edited")
        print("inline edit: ok")

        await page.screenshot(path="/tmp/rtkw-e2e.png")
        assert not errors, errors
        pump.cancel()
        await browser.close()
    widget.close()
    bob.leave()
    ada.leave()
    server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
