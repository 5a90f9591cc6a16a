"""HTTP helpers shared by the REST endpoints: RealtimeKit's error body, and who a request is."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from rtk_widget.server.auth import TokenError, TokenIssuer, bearer
from rtk_widget.server.identity import Identity, Refused, authenticate
from rtk_widget.server.store.db import Database


def json_error(status: int, message: str) -> JSONResponse:
    """``{"success": false, "error": {"code": status, "message": ...}}`` (docs/rest.md)."""
    return JSONResponse({"success": False, "error": {"code": status, "message": message}}, status_code=status)


def request_token(request: Request) -> str | None:
    """The participant token of a request: ``Authorization: Bearer`` or ``?authToken=``."""
    return bearer(request.headers.get("authorization")) or request.query_params.get("authToken")


async def identify(db: Database, tokens: TokenIssuer, token: str | None) -> Identity | JSONResponse:
    """The token's participant, or the error to answer with (401 bad token, 403 no access)."""
    try:
        return await authenticate(db, tokens, token)
    except TokenError as exc:
        return json_error(401, str(exc))
    except Refused as exc:
        return json_error(403, str(exc))


def ok(data: Any, status: int = 200, paging: dict[str, int] | None = None) -> JSONResponse:
    """Cloudflare's success envelope: ``{"success": true, "data": ..., "paging"?: ...}``."""
    body: dict[str, Any] = {"success": True, "data": data}
    if paging is not None:
        body["paging"] = paging
    return JSONResponse(body, status_code=status)
