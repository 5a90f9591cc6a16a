"""RealtimeKit webhooks in a notebook or a small receiver: check ``rtk-signature``, and turn a
``meeting.chatSynced`` event into the session's messages or a DataFrame.

RealtimeKit signs the raw request body with RSA (PKCS#1 v1.5, SHA-256) and sends the base64
signature in the ``rtk-signature`` header; the public key is published as
``{"data": {"publicKey": "<PEM>"}}`` at ``/.well-known/webhooks.json`` on its API host (and on an
rtk-widget server's). Verify the bytes as received, before parsing them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from rtk_widget.client.errors import WebhookSignatureError
from rtk_widget.client.export import read_replay_csv, to_dataframe
from rtk_widget.client.messages import Message

REALTIMEKIT_KEY_URL = "https://api.realtime.cloudflare.com/.well-known/webhooks.json"
KEY_PATH = "/.well-known/webhooks.json"
_keys: dict[str, bytes] = {}  # published keys by URL (they change rarely)


def public_key(url: str = REALTIMEKIT_KEY_URL, *, refresh: bool = False) -> bytes:
    """The PEM key published at ``url`` (a server's base URL gets ``/.well-known/webhooks.json``)."""
    import httpx

    if not url.rstrip("/").endswith(".json"):
        url = url.rstrip("/") + KEY_PATH
    if refresh or url not in _keys:
        try:
            answer = httpx.get(url, timeout=15.0)
            answer.raise_for_status()
            pem = answer.json()["data"]["publicKey"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureError(f"could not read the webhook key at {url}: {exc}", call=url) from exc
        _keys[url] = pem.encode()
    return _keys[url]


def verify_webhook(
    body: bytes | str, headers: Mapping[str, str], key: str | bytes = REALTIMEKIT_KEY_URL
) -> Any:
    """The event (parsed JSON) if ``rtk-signature`` in ``headers`` signs ``body`` under ``key``;
    else :class:`WebhookSignatureError`. ``key`` is a PEM public key, or the URL publishing it
    (RealtimeKit's by default; ``http://host:port`` of an rtk-widget server works too)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    raw = body.encode() if isinstance(body, str) else bytes(body)
    signature = next((v for k, v in headers.items() if k.lower() == "rtk-signature"), None)
    if not signature:
        raise WebhookSignatureError("the delivery has no rtk-signature header", call="verify_webhook")
    pem = key if isinstance(key, bytes) else key.encode() if "BEGIN PUBLIC KEY" in key else public_key(key)
    try:
        loaded = load_pem_public_key(pem)
        if not isinstance(loaded, rsa.RSAPublicKey):
            raise WebhookSignatureError("the webhook key is not an RSA key", call="verify_webhook")
        loaded.verify(base64.b64decode(signature, validate=True), raw, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise WebhookSignatureError(
            "rtk-signature does not match the body (tampered, re-encoded, or signed with another key)",
            call="verify_webhook",
        ) from exc
    return json.loads(raw)


def chat_synced_messages(event: Mapping[str, Any]) -> list[Message]:
    """The session's messages from a ``meeting.chatSynced`` event (its Chat Replay, downloaded)."""
    if event.get("event") != "meeting.chatSynced":
        raise ValueError(f"not a meeting.chatSynced event: {event.get('event')!r}")
    return read_replay_csv(event)


def chat_synced_dataframe(event: Mapping[str, Any]) -> Any:
    """:func:`chat_synced_messages` as a pandas DataFrame."""
    return to_dataframe(chat_synced_messages(event))
