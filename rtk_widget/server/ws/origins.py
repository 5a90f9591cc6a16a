"""Which browser origins may open the socket (a foreign one gets HTTP 403 before the upgrade)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin (non-browser clients), loopback and ``*.localhost`` origins, or configured ones."""
    if origin is None:
        return True
    if origin in allowed or "*" in allowed:
        return True
    try:
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
