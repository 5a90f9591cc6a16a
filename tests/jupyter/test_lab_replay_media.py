"""A replay's images in a real JupyterLab go through the kernel: the kernel serves a Chat Replay
CSV naming one image on that same server and one on the test's sink (another local port). The
panel shows the first from an object URL the kernel filled, shows the second as unavailable, and
the sink receives no request, from the browser or from the kernel."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.widget.support import png

from .lab import LabServer, Sink, open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]

NOTEBOOK = "replay-media.ipynb"
SETUP = """
import base64, functools, tempfile, threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from rtk_widget import ReplayWidget
from rtk_widget.client.export import write_replay_csv
from rtk_widget.client.messages import ImageMessage

served = Path(tempfile.mkdtemp())
(served / "dot.png").write_bytes(base64.b64decode({picture!r}))
quiet = type("Quiet", (SimpleHTTPRequestHandler,), {{"log_message": lambda *args: None}})
host = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=str(served)))
threading.Thread(target=host.serve_forever, daemon=True).start()
origin = f"http://127.0.0.1:{{host.server_address[1]}}"
at = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
shared = [ImageMessage(id=f"m{{i}}", user_id=who, display_name=who.title(), time=at,
                       time_ms=int(at.timestamp() * 1000) + i, link=link)
          for i, (who, link) in enumerate([("ada", f"{{origin}}/dot.png"), ("mallory", {foreign!r})], 1)]
write_replay_csv(shared, served / "chat.csv", session_id="s1")
replay = ReplayWidget(f"{{origin}}/chat.csv", title="Pictures")  # read from its download URL
replay
"""
OWN = ".rtkw-root article[data-key='m1'] img.rtkw-image"
FOREIGN = ".rtkw-root article[data-key='m2']"


@pytest.fixture
def replay_page(lab: LabServer, sink: Sink, page: Any) -> Iterator[Any]:
    picture = base64.b64encode(png(4, 4)).decode()
    foreign = f"{sink.url}/replay-media/{uuid.uuid4()}.png"
    lab.write_notebook(NOTEBOOK, [SETUP.format(picture=picture, foreign=foreign)])
    open_and_run(page, lab, NOTEBOOK)
    page.add_style_tag(content=".Toastify { display: none !important; }")
    page.locator(".rtkw-root .rtkw-replay").wait_for()
    yield page, foreign
    run_in_kernel(page, "replay.close(); host.shutdown()")


def test_the_replays_own_image_comes_through_the_kernel_and_another_hosts_is_refused(replay_page, sink):
    page, foreign = replay_page
    page.wait_for_function(f"() => document.querySelector({OWN!r})?.naturalWidth === 4")
    assert page.locator(OWN).get_attribute("src").startswith("blob:")  # bytes from the kernel
    page.locator(FOREIGN).get_by_text("Image unavailable").wait_for()
    assert page.locator(f"{FOREIGN} img").count() == 0
    path = foreign.removeprefix(sink.url)
    with sink.lock:
        assert path not in sink.hits  # neither the browser nor the kernel asked the sink
    assert run_in_kernel(page, "", "replay.media_mode") == "kernel"
