"""A self-signed certificate for local HTTPS/WSS (the official SDK insists on both).

Names: localhost, *.localhost, rtk.localhost, *.rtk.localhost, 127.0.0.1 and ::1, so
``https://api.rtk.localhost:<port>`` and ``wss://socket-edge.rtk.localhost:<port>`` match.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DNS_NAMES = ("localhost", "*.localhost", "rtk.localhost", "*.rtk.localhost")
IP_NAMES = ("127.0.0.1", "::1")


def self_signed(directory: Path, days: int = 365) -> tuple[Path, Path]:
    """Write (or reuse, while valid for another day) ``cert.pem`` and ``key.pem`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    now = dt.datetime.now(dt.UTC)
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if existing.not_valid_after_utc > now + dt.timedelta(days=1):
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rtk-widget local server")])
    san = x509.SubjectAlternativeName(
        [*(x509.DNSName(n) for n in DNS_NAMES), *(x509.IPAddress(ipaddress.ip_address(a)) for a in IP_NAMES)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
