"""Participant tokens (HS256 JWTs) and the management API token.

A participant token carries RealtimeKit's claims ``meetingId``, ``orgId`` and ``participantId``
plus ``iat`` and ``exp``. The official SDK reads the payload with ``atob`` (standard base64),
so a token whose payload segment contains ``-`` or ``_`` is re-minted with a longer filler
claim ``pad`` until it has neither. Verification pins the algorithm list to HS256, so
``alg: none`` and algorithm confusion are refused by construction.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHMS = ["HS256"]
_MAX_PAD = 64


class TokenError(Exception):
    """A participant token that must not be accepted; the message says why."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    meeting_id: str
    participant_id: str
    org_id: str
    issued_at: int
    expires_at: int


class TokenIssuer:
    """Signs and verifies participant tokens with one server secret."""

    def __init__(self, secret: str, org_id: str, ttl_s: int) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 characters")
        self._secret = secret
        self.org_id = org_id
        self.ttl_s = ttl_s

    def issue(
        self, meeting_id: str, participant_id: str, *, now: float | None = None, ttl_s: int | None = None
    ) -> str:
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "meetingId": meeting_id,
            "orgId": self.org_id,
            "participantId": participant_id,
            "iat": issued,
            "exp": issued + (self.ttl_s if ttl_s is None else ttl_s),
            "jti": secrets.token_hex(8),  # every token differs, so a kick can refuse exactly one
        }
        for pad in range(_MAX_PAD):
            claims["pad"] = "x" * pad
            token = jwt.encode(claims, self._secret, algorithm="HS256")
            if atob_safe(token):
                return token
        raise RuntimeError("could not mint an atob-safe token")  # pragma: no cover

    def verify(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=ALGORITHMS,
                options={"require": ["exp", "iat", "meetingId", "participantId"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid token: {exc}") from exc
        meeting_id, participant_id = claims.get("meetingId"), claims.get("participantId")
        if not isinstance(meeting_id, str) or not isinstance(participant_id, str):
            raise TokenError("invalid token: bad claims")
        return TokenClaims(
            meeting_id, participant_id, str(claims.get("orgId", "")), int(claims["iat"]), int(claims["exp"])
        )


def atob_safe(token: str) -> bool:
    """True when the payload segment decodes with ``atob`` (no base64url-only characters)."""
    parts = token.split(".")
    return len(parts) == 3 and "-" not in parts[1] and "_" not in parts[1]


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_token_ok(expected: str, authorization: str | None) -> bool:
    given = bearer(authorization)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class UrlSigner:
    """HMAC signatures for capability URLs (upload PUT, replay CSV)."""

    def __init__(self, secret: str) -> None:
        self._key = ("url:" + secret).encode()

    def sign(self, purpose: str, subject: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{purpose}\n{subject}\n{expires}".encode(), "sha256")
        return mac.hexdigest()

    def check(self, purpose: str, subject: str, expires: str | None, signature: str | None) -> bool:
        if not expires or not signature or not expires.isdigit():
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self.sign(purpose, subject, int(expires)), signature)
