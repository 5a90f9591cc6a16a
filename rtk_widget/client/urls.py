"""Participant tokens and the URLs derived from them, exactly as the SDK does (docs/protocol.md §1)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from rtk_widget.client.errors import AuthenticationError

DEFAULT_BASE_URI = "realtime.cloudflare.com"
CLOUDFLARE_HOST = "realtime.cloudflare.com"
SDK_VERSION = "2.0.2"
"""The web SDK version whose protocol this client speaks (sent as ``x-realtimekit-version``)."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The three claims the SDK reads from a participant token (no signature check)."""

    meeting_id: str
    org_id: str | None
    participant_id: str | None


def parse_token(token: str) -> TokenClaims:
    """Read ``meetingId``, ``orgId`` and ``participantId`` like the SDK's ``JSON.parse(atob(...))``.

    Raises :class:`AuthenticationError` for a token that is not three dot-separated
    parts with a standard-base64 JSON payload, or has no ``meetingId`` (a V1 token).
    """
    parts = token.split(".")
    if len(parts) < 2:
        raise AuthenticationError("Invalid auth token: expected a JWT with a payload segment")
    segment = parts[1]
    try:
        # atob: standard alphabet only, padding optional.
        raw = base64.b64decode(segment + "=" * (-len(segment) % 4), validate=True)
        claims = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise AuthenticationError(f"Invalid auth token: payload is not base64 JSON ({exc})") from None
    if not isinstance(claims, dict) or not claims.get("meetingId"):
        raise AuthenticationError("Invalid auth token: no meetingId claim (a V1 token?)")
    org = claims.get("orgId")
    participant = claims.get("participantId")
    return TokenClaims(str(claims["meetingId"]), str(org) if org else None,
                       str(participant) if participant else None)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the REST API and the socket of a meeting live."""

    api_base: str
    """REST base: ``https://api.<baseURI>``, or an rtk-widget server's ``base_url``."""
    socket_base: str
    """``wss://socket-edge.<socket base>`` or the rtk-widget server's ws(s) origin."""

    @property
    def cloudflare(self) -> bool:
        """True when the socket is RealtimeKit's own (no PING capability, client pings every 15 s)."""
        return CLOUDFLARE_HOST in self.socket_base

    def socket_url(self, meeting_id: str, peer_id: str, token: str) -> str:
        """The socket URL with the query parameters the SDK sends, in its order."""
        params = [("roomID", meeting_id), ("peerID", peer_id), ("authToken", token), ("useMediaV2", "true")]
        if not self.cloudflare:
            params.append(("ping", "true"))
        params += [("capabilities", "" if self.cloudflare else "2"), ("joinWithDetails", "true"),
                   ("useCfWorker", "true"), ("useStartSession", "true")]
        return f"{self.socket_base}/ws?{urlencode(params)}"


def endpoints_for_base_url(base_url: str) -> Endpoints:
    """An rtk-widget server at ``base_url`` (http or https): REST there, socket at ``/ws``."""
    parts = urlsplit(base_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be http(s)://host[:port], got {base_url!r}")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return Endpoints(api_base=f"{parts.scheme}://{parts.netloc}{parts.path}",
                     socket_base=f"{ws_scheme}://{parts.netloc}{parts.path}")


def endpoints_for_base_uri(base_uri: str, socket_base_uri: str | None) -> Endpoints:
    """RealtimeKit's layout: ``https://api.<base>`` and ``wss://socket-edge.<socket base>``."""
    if "dyte.io" in base_uri:
        raise ValueError("Dyte Base URIs are no longer supported")
    return Endpoints(api_base=f"https://api.{base_uri}",
                     socket_base=f"wss://socket-edge.{socket_base_uri or base_uri}")
