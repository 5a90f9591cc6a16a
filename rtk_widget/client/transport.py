"""How the client reaches a server: which certificates it trusts, and where ``*.localhost`` is.

One :class:`Transport` per meeting configures both of its network stacks the same way:
httpx (REST, uploads, attachment downloads) and websockets (the meeting socket).

- **Trust** (``verify``): ``True`` trusts the system's CAs plus certifi's bundle; a path
  trusts the CA or self-signed certificate(s) in that PEM file (or a directory of hashed
  certificates); an :class:`ssl.SSLContext` is used as given; ``False`` turns certificate
  and host-name checks off (insecure: anyone on the path can read and change the traffic).
- **Loopback names**: ``localhost`` and every ``*.localhost`` name are loopback (RFC 6761,
  as Chromium resolves them), but the system resolver may not know ``api.rtk.localhost``.
  Such hosts are dialled at 127.0.0.1 while the original name stays in ``Host``, in SNI and
  in the certificate check.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger("rtk_widget")

Verify = bool | str | os.PathLike[str] | ssl.SSLContext
"""``True`` (system CAs), a PEM path, an ``ssl.SSLContext``, or ``False`` (insecure)."""

LOOPBACK_ADDRESS = "127.0.0.1"


def is_loopback_name(host: str) -> bool:
    """True for ``localhost`` and ``*.localhost`` (any case, trailing dot allowed)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def ssl_context(verify: Verify) -> ssl.SSLContext:
    """The client TLS context for a ``verify`` value; raises for a missing path or a wrong type."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return _system_context()
    if verify is False:
        logger.warning("rtk-widget: verify=False turns TLS certificate checks off (insecure)")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str | os.PathLike):
        path = Path(verify)
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        if not path.is_file():
            raise FileNotFoundError(f"verify={str(path)!r}: no such certificate file or directory")
        try:
            return ssl.create_default_context(cafile=str(path))
        except ssl.SSLError as exc:
            raise ValueError(f"verify={str(path)!r} holds no usable PEM certificate: {exc}") from None
    raise TypeError(f"verify must be True, False, a path to a PEM file or an ssl.SSLContext, "
                    f"not {type(verify).__name__}")


@functools.cache
def _system_context() -> ssl.SSLContext:
    # Built once per process (loading the stores takes ~0.1 s); a context may be shared.
    context = ssl.create_default_context()
    # Some Pythons (python.org's macOS builds) ship without a usable system store.
    with contextlib.suppress(ImportError):
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


def tls_failure_message(url: str, error: ssl.SSLError) -> str:
    """Why the handshake with ``url`` failed, and what to pass to trust the server."""
    hint = ("; to trust a self-signed or private-CA server pass verify='/path/to/cert.pem' "
            "(its certificate or CA bundle)" if isinstance(error, ssl.SSLCertVerificationError) else "")
    origin = urlsplit(url)
    return f"TLS handshake with {origin.scheme}://{origin.netloc} failed: {error}{hint}"


def ssl_error_in(error: BaseException) -> ssl.SSLError | None:
    """The :class:`ssl.SSLError` behind ``error`` (httpx wraps it), if any."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class LoopbackNamesTransport(httpx.AsyncBaseTransport):
    """An httpx transport that dials ``*.localhost`` hosts at 127.0.0.1.

    The request keeps its ``Host`` header, and the ``sni_hostname`` extension (httpx's
    documented way to dial an address but verify a name) keeps SNI and the certificate
    check on the original name.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, re-addressed to loopback when its host is a ``*.localhost`` name."""
        host = request.url.host
        if is_loopback_name(host):
            request = httpx.Request(request.method, request.url.copy_with(host=LOOPBACK_ADDRESS),
                                    headers=request.headers, stream=request.stream,
                                    extensions={**request.extensions, "sni_hostname": host})
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the wrapped transport's connections."""
        await self._inner.aclose()


class Transport:
    """The trust and name-resolution settings shared by a meeting's HTTP and WebSocket traffic."""

    def __init__(self, verify: Verify = True) -> None:
        self.context = ssl_context(verify)

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` with these settings; ``options`` go to its constructor.

        Only ``*.localhost`` hosts get the loopback transport (as mounts), so every other
        host keeps httpx's usual behaviour, environment proxies included.
        """
        mounts: dict[str, httpx.AsyncBaseTransport | None] = {
            pattern: LoopbackNamesTransport(httpx.AsyncHTTPTransport(verify=self.context))
            for pattern in ("all://localhost", "all://*.localhost")}
        return httpx.AsyncClient(verify=self.context, mounts=mounts, **options)

    def websocket_options(self, url: str) -> dict[str, Any]:
        """Keyword arguments for ``websockets.asyncio.client.connect(url, ...)``."""
        parts = urlsplit(url)
        options: dict[str, Any] = {}
        if parts.scheme == "wss":
            options["ssl"] = self.context
        host = parts.hostname or ""
        if is_loopback_name(host):
            # Dial loopback directly (never through a proxy); the name stays in Host and SNI.
            options.update(host=LOOPBACK_ADDRESS, proxy=None)
            if parts.scheme == "wss":
                options["server_hostname"] = host
        return options
