"""Reading JSON request bodies: one reader for every REST endpoint."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from rtk_widget.server.admin import ApiError

MAX_JSON_BODY = 64 * 1024


async def read_json(request: Request) -> Any:
    """The JSON body (at most 64 KiB); raises ValueError on anything else."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise ValueError("body too large")
    return json.loads(body or b"null")


async def body_of(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except ValueError as exc:
        raise ApiError(400, "BAD_REQUEST: body must be JSON") from exc
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "BAD_REQUEST: body must be a JSON object")
    return body
