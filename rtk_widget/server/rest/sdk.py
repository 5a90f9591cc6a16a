"""The REST calls the official SDK makes (docs/protocol.md §2), CORS for its preflights, and a
harmless ``200 {}`` for its log shipping, IP lookup and other calls."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rtk_widget.server.admin import ApiError
from rtk_widget.server.auth import TokenIssuer
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.identity import Identity
from rtk_widget.server.rest.bodies import body_of
from rtk_widget.server.rest.files import FileHost
from rtk_widget.server.rest.responses import identify, json_error, request_token
from rtk_widget.server.store.db import Database

MANAGEMENT_PREFIX = "/client/v4/"


def api_base(config: ServerConfig, request: Request) -> str:
    """Where REST and file URLs point: https://api.<public base>, else this request's origin."""
    return config.api_base(f"{request.url.scheme}://{request.url.netloc}")


def socket_info(config: ServerConfig, request: Request) -> dict[str, str]:
    """``base_uri`` for the SDK (it dials wss://socket-edge.<base_uri>/ws); ``url`` (extension) in full.

    Without a configured public base, a request that came to ``api.<base>`` (as the SDK's do)
    gets ``<base>`` back, and any other host gets the socket on this very host.
    """
    if config.public_base_uri:
        base = config.public_base_uri
        return {"base_uri": base, "url": f"wss://socket-edge.{base}/ws"}
    netloc = request.url.netloc
    if netloc.startswith("api."):
        return {"base_uri": netloc[4:], "url": f"wss://socket-edge.{netloc[4:]}/ws"}
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return {"base_uri": netloc, "url": f"{scheme}://{netloc}/ws"}


def sdk_preset(preset: dict[str, Any]) -> dict[str, Any]:
    """The preset as the official SDK gets it.

    The SDK takes ``preset.ui`` wholesale when present (no merge with its defaults) and reads
    ``ui.design_tokens.colors.brand[500]`` and ``background[1000]`` during ``init``; a ``ui``
    without those shades fails init with "Cannot read properties of undefined (reading '500')".
    Such a ``ui`` is left out, so the SDK's own design tokens apply.
    """
    colors = ((preset.get("ui") or {}).get("design_tokens") or {}).get("colors") or {}
    if isinstance(colors.get("brand"), dict) and isinstance(colors.get("background"), dict):
        return preset
    return {key: value for key, value in preset.items() if key != "ui"}


class SdkRest:
    def __init__(self, config: ServerConfig, db: Database, tokens: TokenIssuer, files: FileHost) -> None:
        self.config = config
        self.db = db
        self.tokens = tokens
        self.files = files

    async def _identify(self, request: Request) -> Identity | Response:
        return await identify(self.db, self.tokens, request_token(request))

    async def participant_details(self, request: Request) -> Response:
        who = await self._identify(request)
        if isinstance(who, Response):
            return who
        # The SDK copies these fields into protobuf-ts messages, whose writer throws on null
        # (only undefined means absent): a null `picture` made join() fail with 0002.
        present = {key: value for key, value in who.participant.items() if value is not None}
        participant = {**present, "organization_id": self.tokens.org_id}
        return JSONResponse(
            {
                "success": True,
                "data": {
                    "participant": participant,
                    "preset": sdk_preset(who.preset),
                    "meeting": who.meeting,
                    "socket": socket_info(self.config, request),
                    "organization": {"id": self.tokens.org_id},
                },
            }
        )

    async def ice_servers(self, request: Request) -> Response:
        return JSONResponse({"success": True, "iceServers": []})

    async def chat_upload(self, request: Request) -> Response:
        who = await self._identify(request)
        if isinstance(who, Response):
            return who
        try:
            body = await body_of(request)
        except ApiError as exc:
            return json_error(exc.status, exc.message)
        room, filename, expiry = body.get("roomUUID"), body.get("filename"), body.get("expiry")
        if room != who.meeting_id:
            return json_error(403, "roomUUID is not your meeting")
        if not isinstance(filename, str) or not filename or len(filename) > 255:
            return json_error(400, "filename is required (at most 255 characters)")
        if expiry is not None and (not isinstance(expiry, int) or isinstance(expiry, bool) or expiry <= 0):
            return json_error(400, "expiry must be a positive number of seconds")
        locations = await self.files.create(who, filename, api_base(self.config, request), expiry)
        return JSONResponse({"success": True, "data": locations})

    async def anything(self, request: Request) -> Response:
        """The SDK's logs (api-silos), location and other calls: accepted and ignored."""
        return JSONResponse({})


class Cors:
    """CORS for the SDK's cross-origin calls: echo Origin and the requested headers.

    A wildcard does not cover ``Authorization``, so the requested header list is echoed.
    Management paths get no CORS (Cloudflare's API is not for browsers). No cookies are used,
    so echoing any Origin grants nothing a bearer token does not already grant.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(MANAGEMENT_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS" and origin and "access-control-request-method" in headers:
            allow = {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": headers.get("access-control-request-headers", ""),
                "Access-Control-Max-Age": "600",
                "Vary": "Origin, Access-Control-Request-Headers",
            }
            if headers.get("access-control-request-private-network") == "true":
                allow["Access-Control-Allow-Private-Network"] = "true"
            await Response(status_code=204, headers=allow)(scope, receive, send)
            return
        if not origin:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"vary", b"Origin"),
                    (b"access-control-expose-headers", b"Content-Disposition, Content-Length, ETag"),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)
