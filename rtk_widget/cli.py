"""``rtk-widget``: run the local meeting server, or get a participant token from one."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shlex
import signal
import ssl
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rtk_widget.server import MeetingServer

TOKEN_ENV = "RTK_WIDGET_API_TOKEN"
BUILTIN_PRESETS = ("group_call_host", "group_call_participant", "livestream_host", "livestream_viewer")


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the local RealtimeKit-compatible meeting server")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets other "
                   "machines in, and the server prints the URLs they can use)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--data-dir", type=Path, help="keep meetings, chat and uploads here (default: in memory)")
    p.add_argument("--tls-cert", type=Path, help="PEM certificate for HTTPS/WSS")
    p.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    p.add_argument(
        "--tls-self-signed",
        action="store_true",
        help="generate a certificate for localhost, 127.0.0.1, *.localhost, *.rtk.localhost and, "
        "with --host, the names and addresses other machines reach this one by",
    )
    p.add_argument(
        "--api-token",
        default=os.environ.get(TOKEN_ENV),
        help=f"Bearer token of the management API (default ${TOKEN_ENV}, else random)",
    )
    p.add_argument(
        "--public-base-uri",
        help="the SDK's baseURI to advertise, e.g. rtk.localhost:8443 (REST at https://api.<it>, "
        "socket at wss://socket-edge.<it>/ws)",
    )
    p.add_argument("--allow-origin", action="append", default=[], help="another browser Origin to accept")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])


def _token_parser(sub: Any) -> None:
    p = sub.add_parser(
        "token", help="create a participant (and a meeting) on a running server; print its token"
    )
    p.add_argument("--url", default="http://127.0.0.1:8080", help="the server's base URL")
    p.add_argument(
        "--api-token", default=os.environ.get(TOKEN_ENV), help=f"management token (default ${TOKEN_ENV})"
    )
    p.add_argument("--account", default="local",
                   help="account id in the management API's path (default 'local', as rtk-widget serve "
                   "uses; on Cloudflare, your account id)")
    p.add_argument("--app", default="local",
                   help="app id in the management API's path (default 'local', as rtk-widget serve uses; "
                   "on Cloudflare, your RealtimeKit app id)")
    p.add_argument("--meeting", help="meeting id (default: create one)")
    p.add_argument("--title", default="Notebook chat", help="title of a new meeting")
    p.add_argument("--name", default="Ada", help="display name")
    p.add_argument("--preset", default="group_call_host", metavar="PRESET",
                   help=f"the participant's preset: {', '.join(BUILTIN_PRESETS)} (built in; default "
                   "group_call_host), or one created on the server")
    p.add_argument("--custom-id", help="custom participant id (default: the name, lower-cased)")
    p.add_argument("--cacert", type=Path, help="trust this PEM certificate (a self-signed server's cert.pem)")
    p.add_argument("--insecure", action="store_true", help="accept any certificate (no check at all)")
    p.add_argument("--json", action="store_true", help="print meeting id, participant and token as JSON "
                   "(else the token alone on stdout, the meeting id on stderr)")


def _curl_hint(management: str, api_token: str, tls: bool) -> str:
    k = "-k " if tls else ""
    auth = shlex.quote(f"Authorization: Bearer {api_token}")
    head = f"curl -s {k}-X POST -H {auth} -H 'Content-Type: application/json'"
    person = '{"name":"Ada","preset_name":"group_call_host","custom_participant_id":"ada"}'
    return (
        f'M=$({head} -d \'{{"title":"Notebook chat"}}\' {management}/meetings'
        ' | python3 -c \'import json,sys; print(json.load(sys.stdin)["data"]["id"])\')'
        f" && {head} -d '{person}' {management}/meetings/$M/participants"
    )


def _announce(server: MeetingServer, args: argparse.Namespace, api_token: str, cert: Path | None,
              others: list[str]) -> None:
    """Where the server is (for this machine and for others), its token, and how to get a participant."""
    print(f"rtk-widget server listening on {server.base_url}", flush=True)
    scheme = "https" if cert is not None else "http"
    if others:
        print(f"  other machines:  {', '.join(f'{scheme}://{_url_host(h)}:{server.port}' for h in others)}")
        if cert is None:
            print("  (unencrypted: tokens and chat cross the network in clear; add --tls-self-signed)")
    else:
        print("  this machine only (--host 0.0.0.0 lets other machines in)")
    print(f"  socket:          {server.ws_url}")
    print(f"  management API:  {server.management_url}")
    print(f"  API token:       {api_token}")
    print(f"  data:            {args.data_dir or 'in memory (gone when stopped)'}")
    if cert is not None:
        print(f"  TLS certificate: {cert}")
    print("Create a meeting and a participant token:")
    print("  " + _curl_hint(server.management_url, api_token, cert is not None))
    print(
        f"  or: rtk-widget token --url {server.base_url} --api-token={shlex.quote(api_token)}"
        + (f" --cacert {cert}" if cert is not None else "")
    )
    print("Stop with Ctrl-C.", flush=True)


async def _serve(args: argparse.Namespace) -> int:
    from rtk_widget.server import MeetingServer, ServerConfig
    from rtk_widget.server.auth import new_secret

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cert, key = args.tls_cert, args.tls_key
    if (cert is None) != (key is None):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    from rtk_widget.server.tls import reachable_hosts, self_signed

    others = reachable_hosts(args.host)
    temp: tempfile.TemporaryDirectory[str] | None = None
    if args.tls_self_signed and cert is None:
        if args.data_dir is not None:
            where = args.data_dir / "tls"
        else:
            temp = tempfile.TemporaryDirectory(prefix="rtk-widget-tls-")
            where = Path(temp.name)
        cert, key = self_signed(where, hosts=others)
    api_token = args.api_token or new_secret()
    config = ServerConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        tls_cert=cert,
        tls_key=key,
        api_token=api_token,
        public_base_uri=args.public_base_uri,
        allowed_origins=tuple(args.allow_origin),
        log_level=args.log_level,
    )
    server = MeetingServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except ssl.SSLError as exc:
        print(f"error: cannot use the TLS certificate and key: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    _announce(server, args, api_token, cert, others)
    await stop.wait()
    await server.stop()
    if temp is not None:
        temp.cleanup()
    print("rtk-widget server stopped", flush=True)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _in_words(response: Any) -> str:
    """A management API error as a sentence: its status and the envelope's message, not raw JSON."""
    status = response.status_code
    try:
        body = response.json()
        error = body.get("error") or (body.get("errors") or [{}])[0]
        message = str(error.get("message") or "").strip()
    except (ValueError, AttributeError, IndexError, TypeError):
        message = ""
    message = message or response.text.strip()[:200] or response.reason_phrase
    if status in (401, 403):
        return (f"the server refused the API token (HTTP {status}: {message}); pass the one "
                f"`rtk-widget serve` printed, with --api-token or ${TOKEN_ENV}")
    return f"HTTP {status}: {message}"


def _token(args: argparse.Namespace) -> int:
    import httpx

    if not args.api_token:
        print(f"error: --api-token (or ${TOKEN_ENV}) is required: the management token "
              "`rtk-widget serve` printed", file=sys.stderr)
        return 2
    base = f"{args.url.rstrip('/')}/client/v4/accounts/{args.account}/realtime/kit/{args.app}"
    headers = {"Authorization": f"Bearer {args.api_token}"}
    verify: bool | ssl.SSLContext = not args.insecure
    if args.cacert is not None and not args.insecure:
        try:
            verify = ssl.create_default_context(cafile=str(args.cacert))
        except (OSError, ssl.SSLError) as exc:
            print(f"error: --cacert {args.cacert}: not a readable PEM certificate ({exc})", file=sys.stderr)
            return 2
    try:
        with httpx.Client(base_url=base, headers=headers, verify=verify, timeout=10) as http:
            meeting_id = args.meeting
            if meeting_id is None:
                r = http.post("/meetings", json={"title": args.title})
                r.raise_for_status()
                meeting_id = r.json()["data"]["id"]
            body = {
                "name": args.name,
                "preset_name": args.preset,
                "custom_participant_id": args.custom_id or args.name.lower(),
            }
            r = http.post(f"/meetings/{meeting_id}/participants", json=body)
            r.raise_for_status()
    except httpx.HTTPStatusError as exc:
        print(f"error: {_in_words(exc.response)}", file=sys.stderr)
        return 1
    except httpx.ConnectError as exc:
        untrusted = "CERTIFICATE_VERIFY_FAILED" in str(exc)
        hint = ("; for a self-signed server pass --cacert <its cert.pem>" if untrusted
                else "; is `rtk-widget serve` running there?")
        print(f"error: cannot reach {args.url}: {exc}{hint}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"error: talking to {args.url} failed: {exc}", file=sys.stderr)
        return 1
    participant = r.json()["data"]
    if args.json:
        print(json.dumps({"meeting_id": meeting_id, "participant": participant}))
        return 0
    print(participant["token"])
    # The token alone on stdout (TOKEN=$(rtk-widget token ...)); what a person needs next on stderr.
    print(f"meeting {meeting_id}: {args.name} ({args.preset}). Someone else joins with a token from:\n"
          f"  rtk-widget token --url {args.url} --meeting {meeting_id} --name <name> "
          f"--preset group_call_participant", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    from rtk_widget import __version__

    parser = argparse.ArgumentParser(prog="rtk-widget", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _token_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return asyncio.run(_serve(args))
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
