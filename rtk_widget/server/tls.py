"""A self-signed certificate for HTTPS/WSS (the official SDK insists on both), and the names
other machines reach this server by.

The certificate always names localhost, *.localhost, rtk.localhost, *.rtk.localhost, 127.0.0.1
and ::1, so ``https://api.rtk.localhost:<port>`` and ``wss://socket-edge.rtk.localhost:<port>``
match; ``hosts`` adds this machine's own names and addresses for clients on the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import socket
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DNS_NAMES = ("localhost", "*.localhost", "rtk.localhost", "*.rtk.localhost")
IP_NAMES = ("127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
# Documentation addresses (RFC 5737, RFC 3849): "connecting" a UDP socket there sends nothing,
# but makes the system pick the local address it would route outside traffic from.
_ROUTE_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def self_signed(directory: Path, days: int = 365, *, hosts: Iterable[str] = ()) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` in ``directory``, naming the loopback names and ``hosts``.

    An existing pair is reused while it stays valid for another day and names every host asked for.
    """
    dns_names, ip_names = _split_names([*DNS_NAMES, *IP_NAMES, *hosts])
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    now = dt.datetime.now(dt.UTC)
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        named = existing.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if (existing.not_valid_after_utc > now + dt.timedelta(days=1)
                and set(dns_names) <= set(named.get_values_for_type(x509.DNSName))
                and set(ip_names) <= set(named.get_values_for_type(x509.IPAddress))):
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rtk-widget local server")])
    san = x509.SubjectAlternativeName(
        [*(x509.DNSName(n) for n in dns_names), *(x509.IPAddress(a) for a in ip_names)]
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


def _split_names(names: Iterable[str]) -> tuple[list[str], list[IPAddress]]:
    """DNS names and IP addresses, each once, in order."""
    dns: dict[str, None] = {}
    ips: dict[IPAddress, None] = {}
    for raw in names:
        name = raw.strip().strip("[]").rstrip(".")
        try:
            ips[ipaddress.ip_address(name)] = None
        except ValueError:
            if name:
                dns[name.lower()] = None
    return list(dns), list(ips)


def reachable_hosts(bind_host: str) -> list[str]:
    """Addresses and names by which other machines may reach a server bound to ``bind_host``.

    A specific host is returned as is (unless it is loopback: nothing else reaches that). A
    wildcard (``0.0.0.0``, ``::``) stands for every interface: this machine's non-loopback
    addresses (the one it routes outside traffic from first), then its host names. Nothing
    is sent on the network to find them.
    """
    if bind_host not in WILDCARD_HOSTS:
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(bind_host.strip("[]")).is_loopback:
                return []
        return [] if bind_host.lower() == "localhost" else [bind_host]
    families = {socket.AF_INET} if bind_host == "0.0.0.0" else {socket.AF_INET, socket.AF_INET6}
    found: list[IPAddress] = [*_routed_addresses(families), *_resolved_addresses(families)]
    addresses = [a for a in dict.fromkeys(found)
                 if not (a.is_loopback or a.is_link_local or a.is_unspecified)]
    names = [n for n in dict.fromkeys((socket.gethostname(), socket.getfqdn()))
             if n and n.lower() != "localhost" and not n.lower().endswith(".localhost")]
    return [*(str(a) for a in addresses), *names]


def _routed_addresses(families: set[socket.AddressFamily]) -> list[IPAddress]:
    addresses: list[IPAddress] = []
    for family, probe in _ROUTE_PROBES:
        if family not in families:
            continue
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))
            addresses.append(ipaddress.ip_address(sock.getsockname()[0]))
    return addresses


def _resolved_addresses(families: set[socket.AddressFamily]) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    addresses: list[IPAddress] = []
    for family, _, _, _, address in infos:
        if family in families:
            with contextlib.suppress(ValueError):
                addresses.append(ipaddress.ip_address(str(address[0]).split("%", 1)[0]))
    return addresses
