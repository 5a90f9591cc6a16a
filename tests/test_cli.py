"""The command line as a person meets it: --version, help that names the choices, a token command
that shows the meeting id and says what went wrong in words, and ``serve --host 0.0.0.0`` that
prints URLs other machines can use, with a certificate that names them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rtk_widget import __version__
from rtk_widget.cli import BUILTIN_PRESETS, main
from rtk_widget.client.urls import parse_token
from rtk_widget.server.presets import BUILTIN_PRESETS as SERVER_PRESETS
from rtk_widget.server.tls import reachable_hosts, self_signed

CLI = [sys.executable, "-m", "rtk_widget.cli"]


def test_version_and_help_name_the_choices(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"rtk-widget {__version__}"
    with pytest.raises(SystemExit):
        main(["token", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert tuple(p["name"] for p in SERVER_PRESETS) == BUILTIN_PRESETS
    for preset in BUILTIN_PRESETS:
        assert preset in help_text
    assert "--account ACCOUNT account id" in help_text
    assert "--app APP app id" in help_text


async def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    # In a thread: the command blocks on HTTP while this loop serves the test's server.
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_token_prints_the_token_and_shows_the_meeting_id(server, capsys):
    code, out, err = await run_cli(capsys, "token", "--url", server.base_url,
                                   f"--api-token={server.api_token}", "--name", "Ada")
    assert code == 0
    token = out.strip()
    meeting_id = parse_token(token).meeting_id
    assert f"meeting {meeting_id}" in err
    assert f"--meeting {meeting_id} --name <name>" in err
    code, out, _ = await run_cli(capsys, "token", "--url", server.base_url, f"--api-token={server.api_token}",
                                 "--meeting", meeting_id, "--name", "Bob",
                                 "--preset", "group_call_participant")
    assert code == 0
    assert parse_token(out.strip()).meeting_id == meeting_id


async def test_token_errors_are_sentences(server, capsys):
    code, out, err = await run_cli(capsys, "token", "--url", server.base_url, "--api-token=wrong")
    assert (code, out) == (1, "")
    assert "refused the API token (HTTP 401" in err
    code, _, err = await run_cli(capsys, "token", "--url", server.base_url, f"--api-token={server.api_token}",
                                 "--meeting", "no-such-meeting")
    assert err.strip() == "error: HTTP 404: No meeting found with id no-such-meeting"
    code, _, err = await run_cli(capsys, "token", "--url", server.base_url, f"--api-token={server.api_token}",
                                 "--preset", "no_such_preset")
    assert code == 1
    assert "HTTP 400" in err
    assert "No preset found with name no_such_preset" in err
    assert "{" not in err  # words, not the JSON envelope
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    code, _, err = await run_cli(capsys, "token", "--url", url, "--api-token=x")
    assert code == 1
    assert f"cannot reach {url}" in err
    assert "is `rtk-widget serve` running there?" in err


def read_banner(process: subprocess.Popen[str]) -> str:
    """The serve command's output up to its last banner line."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Stop with Ctrl-C.\n":
        line = process.stdout.readline()
        if not line:
            errors = process.stderr.read() if process.stderr else ""
            raise AssertionError("serve exited: " + "".join(lines) + errors)
        lines.append(line)
    return "".join(lines)


def test_serve_on_all_interfaces_prints_reachable_urls_and_a_certificate_naming_them(tmp_path: Path):
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "0.0.0.0", "--port", "0", "--tls-self-signed", "--data-dir", str(tmp_path),
         "--api-token", "cli-test-token"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = read_banner(process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    port = int(re.search(r"listening on https://127\.0\.0\.1:(\d+)", banner).group(1))
    others = reachable_hosts("0.0.0.0")
    assert others  # this machine's addresses or at least its host name
    assert f"  other machines:  {', '.join(f'https://{h}:{port}' for h in others)}\n" in banner
    assert "other machines:  https://127.0.0.1" not in banner
    cert = tmp_path / "tls" / "cert.pem"
    assert f"TLS certificate: {cert}" in banner
    assert f"--cacert {cert}" in banner

    # The certificate names every advertised host: a TLS client checking each name accepts it
    # (the handshake runs against a server on loopback; only the name checked differs).
    cert_again, key = self_signed(tmp_path / "tls", hosts=others)
    assert cert_again == cert  # reused: it already names them
    context = ssl.create_default_context(cafile=str(cert))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    for host in others:
        assert handshake(context, server_context, host), host
    assert not handshake(context, server_context, "not-this-host.example")


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, name: str) -> bool:
    """Whether a client checking ``name`` accepts the server's certificate (over a socket pair)."""
    client_side, server_side = socket.socketpair()
    with client_side, server_side:
        client_side.settimeout(10)
        server_side.settimeout(10)
        outcome: list[bool] = []

        def serve() -> None:
            try:
                with server.wrap_socket(server_side, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with client.wrap_socket(client_side, server_hostname=name):
                outcome.append(True)
        except ssl.SSLCertVerificationError:
            outcome.append(False)
        thread.join(10)
        return outcome[0]
