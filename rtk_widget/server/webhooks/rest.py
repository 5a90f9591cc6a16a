"""Webhook registration with Cloudflare's paths and shapes (docs/rest.md), under the
management prefix, and the signing key at ``/.well-known/webhooks.json`` (5e).

A webhook's URL must be http(s) with a host. The server will POST session events to any
such URL a management API-token holder registers, internal addresses included: treat the
API token as the power to make this server send requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rtk_widget.server.admin import ApiError
from rtk_widget.server.rest.bodies import body_of
from rtk_widget.server.rest.management import RouteEntry
from rtk_widget.server.rest.responses import ok
from rtk_widget.server.store import webhooks as wq
from rtk_widget.server.store.db import Database
from rtk_widget.server.webhooks.payloads import EVENT_NAMES
from rtk_widget.server.webhooks.signing import WebhookSigner

MAX_URL = 2048
MAX_NAME = 255
FIELDS = ("name", "url", "events", "enabled")


def _bad(message: str) -> ApiError:
    return ApiError(400, f"BAD_REQUEST: {message}")


def validate(body: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """The registration fields of ``body``; ``full`` (POST, PUT) requires name, url and events."""
    if full:
        for key in ("name", "url", "events"):
            if key not in body:
                raise _bad(f'"{key}" is required')
    out: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise _bad(f'"name" must be a non-empty string of at most {MAX_NAME} characters')
        out["name"] = name
    if "url" in body:
        out["url"] = _url(body["url"])
    if "events" in body:
        out["events"] = _events(body["events"])
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise _bad('"enabled" must be a boolean')
        out["enabled"] = body["enabled"]
    elif full:
        out["enabled"] = True
    return out


def _url(url: Any) -> str:
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise _bad('"url" must be a valid uri')
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise _bad('"url" must be a valid uri with scheme http or https')
    return url


def _events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise _bad('"events" must be a non-empty array of event names')
    unknown = [e for e in events if e not in EVENT_NAMES]
    if unknown:
        raise _bad(f'"events" has unknown event {unknown[0]!r}; known: {", ".join(sorted(EVENT_NAMES))}')
    return list(dict.fromkeys(events))  # each once, in the order given


class WebhookRest:
    """``.../webhooks`` CRUD (wrapped by Management for auth) and the public key."""

    def __init__(self, db: Database, signer: WebhookSigner) -> None:
        self.db = db
        self.signer = signer

    def table(self) -> list[RouteEntry]:
        """The webhook routes, below the management prefix."""
        return [
            ("/webhooks", self.create, ["POST"]),
            ("/webhooks", self.list, ["GET"]),
            ("/webhooks/{webhook_id}", self.get, ["GET"]),
            ("/webhooks/{webhook_id}", self.patch, ["PATCH"]),
            ("/webhooks/{webhook_id}", self.put, ["PUT"]),
            ("/webhooks/{webhook_id}", self.delete, ["DELETE"]),
        ]

    async def public_key(self, request: Request) -> Response:
        await self.signer.ready()
        return JSONResponse({"success": True, "data": {"publicKey": self.signer.public_pem}, "message": ""})

    async def create(self, request: Request) -> Response:
        fields = validate(await body_of(request), full=True)
        hook = await self.db.write(
            lambda c: wq.create(c, fields["name"], fields["url"], fields["events"], fields["enabled"])
        )
        return ok(hook, 201)

    async def list(self, request: Request) -> Any:
        return await self.db.read(wq.list_all)

    async def get(self, request: Request) -> Any:
        webhook_id = request.path_params["webhook_id"]
        row = await self.db.read(lambda c: wq.get(c, webhook_id))
        if row is None:
            raise _missing(webhook_id)
        return wq.webhook_json(row)

    async def patch(self, request: Request) -> Any:
        return await self._update(request, full=False)

    async def put(self, request: Request) -> Any:
        return await self._update(request, full=True)

    async def _update(self, request: Request, *, full: bool) -> Any:
        webhook_id = request.path_params["webhook_id"]
        fields = validate(await body_of(request), full=full)
        hook = await self.db.write(lambda c: wq.update(c, webhook_id, fields))
        if hook is None:
            raise _missing(webhook_id)
        return hook

    async def delete(self, request: Request) -> Any:
        webhook_id = request.path_params["webhook_id"]
        hook = await self.db.write(lambda c: wq.delete(c, webhook_id))
        if hook is None:
            raise _missing(webhook_id)
        return hook


def _missing(webhook_id: str) -> ApiError:
    return ApiError(404, f"No webhook found with id {webhook_id}")
