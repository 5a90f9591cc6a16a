"""``Meeting(..., verify=...)`` against a real HTTPS/WSS rtk-widget server on 127.0.0.1.

The server's certificate is self-signed (``rtk_widget.server.tls``, names localhost,
*.localhost, rtk.localhost, *.rtk.localhost, 127.0.0.1), so nothing trusts it by default:
the client must trust it through ``verify``, for REST, uploads, downloads and the socket.
``*.localhost`` names are not known to this machine's resolver; the client dials them at
127.0.0.1 itself.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest

from rtk_widget.client import ConnectionLostError, Meeting, TLSError
from rtk_widget.client.connection import Connection
from rtk_widget.client.transport import Transport
from rtk_widget.server import MeetingServer, ServerConfig
from rtk_widget.server.tls import self_signed
from rtk_widget.widget._port import MeetingPort

from .helpers import Recorder


@pytest.fixture
def cert_pair(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path / "tls")


@pytest.fixture
def server_config(cert_pair: tuple[Path, Path]) -> ServerConfig:
    return ServerConfig(host="127.0.0.1", port=0, data_dir=None, tls_cert=cert_pair[0], tls_key=cert_pair[1])


def https(server: MeetingServer, host: str = "127.0.0.1") -> str:
    return f"https://{host}:{server.port}"


async def test_trusting_the_servers_certificate_by_path_covers_rest_socket_and_files(server, make_meeting,
                                                                                    cert_pair):
    _, (ada, bob) = await make_meeting("ada", "bob")
    context = ssl.create_default_context(cafile=str(cert_pair[0]))
    async with Meeting(ada["token"], base_url=https(server), verify=cert_pair[0]) as a, \
            Meeting(bob["token"], base_url=https(server), verify=context) as b:
        news = Recorder(b.chat, "newMessage")
        sent = await a.chat.send_text_message_async("over tls")
        body = b"col\n" + bytes(range(256)) * 8
        attached = await a.chat.send_file_message_async(body, name="bytes.bin")
        assert [m.id for m in news.wait_for(2)] == [sent.id, attached.id]
        assert attached.link.startswith(https(server) + "/")
        async with b.http_client(timeout=5.0) as http:
            response = await http.get(attached.link, headers=b.credentials_for(attached.link))
        assert response.status_code == 200
        assert response.content == body


async def test_an_untrusted_certificate_fails_the_join_with_a_tls_error(server, make_meeting):
    _, (ada,) = await make_meeting("ada")
    meeting = Meeting(ada["token"], base_url=https(server))  # verify=True: system CAs only
    with pytest.raises(TLSError, match=r"certificate verify failed.*verify='/path/to/cert.pem'") as failed:
        await meeting.join_async()
    assert isinstance(failed.value, ConnectionLostError)  # still caught by existing handlers
    assert isinstance(failed.value.__cause__, ssl.SSLCertVerificationError)
    assert not meeting.joined


async def test_the_socket_checks_certificates_with_the_same_settings(server, make_meeting, cert_pair):
    _, (ada,) = await make_meeting("ada")
    url = f"wss://127.0.0.1:{server.port}/ws?authToken={ada['token']}"

    async def on_open(_: bool) -> None:
        return None

    def socket_to(transport: Transport) -> Connection:
        return Connection(lambda: url, peer_id="p", on_push=lambda _: None, on_open=on_open,
                          on_state=lambda *_: None, client_pings=False, transport=transport)

    with pytest.raises(TLSError, match=r"wss://127\.0\.0\.1:\d+ failed: .*certificate verify failed"):
        await socket_to(Transport()).start()
    trusted = socket_to(Transport(cert_pair[0]))
    await trusted.start()  # the TLS handshake and the WebSocket upgrade both succeed
    await trusted.close()


async def test_localhost_names_are_dialled_at_loopback_and_verified_by_name(server, make_meeting, cert_pair):
    # glibc without systemd-resolved (this CI) cannot resolve api.rtk.localhost at all.
    _, (ada, bob) = await make_meeting("ada", "bob")
    base = https(server, "api.rtk.localhost")
    async with Meeting(ada["token"], base_url=base, verify=cert_pair[0]) as a, \
            Meeting(bob["token"], base_url=base, verify=cert_pair[0]) as b:
        news = Recorder(b.chat, "newMessage")
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        image = await a.chat.send_image_message_async(png, name="dot.png")
        assert news.wait_for(1)[0].id == image.id
        assert image.link.startswith(base + "/")  # the server saw the name in Host
        async with b.http_client(timeout=5.0) as http:
            response = await http.get(image.link)
        assert response.content == png
        # The widget fetches attachments for the front end with the meeting's settings too.
        assert await MeetingPort(b).fetch_media(image.link, max_bytes=1 << 20) == (png, "image/png")

    # The certificate is checked against the name, not 127.0.0.1 (which it also covers):
    # its *.localhost entry does not match a name two labels under localhost.
    stranger = Meeting(ada["token"], base_url=https(server, "api.other.localhost"), verify=cert_pair[0])
    with pytest.raises(TLSError, match=r"api\.other\.localhost"):
        await stranger.join_async()


async def test_verify_false_connects_to_localhost_without_checks_and_says_so(server, make_meeting, caplog):
    _, (ada,) = await make_meeting("ada")
    with caplog.at_level(logging.WARNING, logger="rtk_widget"):
        meeting = Meeting(ada["token"], base_url=https(server, "localhost"), verify=False)
    assert "insecure" in caplog.text
    async with meeting:
        assert meeting.self.user_id == ada["id"]


def test_bad_verify_values_are_refused_before_any_connection(tmp_path):
    token = _token()
    with pytest.raises(FileNotFoundError, match=r"missing\.pem"):
        Meeting(token, base_url="https://127.0.0.1:1", verify=tmp_path / "missing.pem")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    with pytest.raises(ValueError, match="no usable PEM certificate"):
        Meeting(token, base_url="https://127.0.0.1:1", verify=not_pem)
    with pytest.raises(TypeError, match="verify must be"):
        Meeting(token, base_url="https://127.0.0.1:1", verify=1.5)  # type: ignore[arg-type]


def _token() -> str:
    import base64
    import json

    payload = base64.b64encode(json.dumps({"meetingId": "m"}).encode()).decode().rstrip("=")
    return f"h.{payload}.s"
