"""A tiny loopback HTTPS server for the SDK test page: the app origin https://app.rtk.localhost:<port>.

It serves exactly three files (the page, the harness and the SDK's ``dist/browser.js``), so the
page lives on a loopback origin, as a notebook page would, and reaches the meeting server
cross-origin (CORS and Chromium's Local Network Access rules apply as in real use).
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE_DIR = Path(__file__).parent / "page"
SDK_BUNDLE = Path(__file__).parent / "node_modules" / "@cloudflare" / "realtimekit" / "dist" / "browser.js"

ROUTES: dict[str, tuple[Path, str]] = {
    "/index.html": (PAGE_DIR / "index.html", "text/html; charset=utf-8"),
    "/harness.js": (PAGE_DIR / "harness.js", "text/javascript; charset=utf-8"),
    "/browser.js": (SDK_BUNDLE, "text/javascript; charset=utf-8"),
}


class _StaticHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = ROUTES.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_error(404)
            return
        body = route[0].read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", route[1])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for failures."""


class AppServer:
    """Serves the test page over TLS on 127.0.0.1 in a daemon thread."""

    def __init__(self, certfile: Path, keyfile: Path) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StaticHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sdk-app-server", daemon=True)

    @property
    def port(self) -> int:
        """The listening port."""
        return int(self._httpd.server_address[1])

    @property
    def page_url(self) -> str:
        """The test page's URL on the app origin."""
        return f"https://app.rtk.localhost:{self.port}/index.html"

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
