"""The webhook signing key: RSA, RSASSA-PKCS1-v1_5 with SHA-256 over the raw body, as
RealtimeKit signs ``rtk-signature``. Receivers fetch the public half from
``/.well-known/webhooks.json``. The key pair is generated once and kept in the data dir
(mode 0600), or lives in memory for an in-memory server. Generating one takes a fifth of a
second, so it happens on first use, in a thread: servers that never sign pay nothing."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_FILE = "webhook_key.pem"


class WebhookSigner:
    """Signs webhook bodies; exposes the public key as PEM. Call :meth:`ready` first."""

    def __init__(self, data_dir: Path | None) -> None:
        self._path = None if data_dir is None else data_dir / KEY_FILE
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = asyncio.Lock()
        self.public_pem = ""

    async def ready(self) -> None:
        """Load or create the key pair (once)."""
        async with self._lock:
            if self._key is None:
                self._key = await asyncio.to_thread(self._load_or_create)
                self.public_pem = (
                    self._key.public_key()
                    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                    .decode()
                )

    def _load_or_create(self) -> rsa.RSAPrivateKey:
        if self._path is None:
            return _generate()
        if self._path.exists():
            key = serialization.load_pem_private_key(self._path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{self._path} does not hold an RSA private key")
            return key
        key = _generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return key

    def sign(self, body: bytes) -> str:
        """The ``rtk-signature`` header value for ``body``."""
        if self._key is None:
            raise RuntimeError("await WebhookSigner.ready() first")
        return base64.b64encode(self._key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def _generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
