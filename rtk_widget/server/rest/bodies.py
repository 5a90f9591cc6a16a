"""Reading JSON request bodies: one reader for every REST endpoint.

A body is refused with :class:`ApiError` (RealtimeKit's error envelope), never a 5xx: 413
when it is (or says it is) over :data:`MAX_JSON_BODY`, 400 when it is not UTF-8 JSON or nests
deeper than :data:`~rtk_widget.wire.safe_json.MAX_DEPTH` levels.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from rtk_widget.server.admin import ApiError
from rtk_widget.wire import safe_json

MAX_JSON_BODY = 64 * 1024


def _too_large() -> ApiError:
    return ApiError(413, f"PAYLOAD_TOO_LARGE: body over {MAX_JSON_BODY} bytes")


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BODY:
        raise _too_large()  # before reading a byte of it
    body = bytearray()
    async for chunk in request.stream():  # a chunked body has no length to check up front
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise _too_large()
    return bytes(body)


async def read_json(request: Request) -> Any:
    """The JSON body (None when empty); :class:`ApiError` 413 or 400 for anything else."""
    body = await _read_capped(request)
    if not body.strip():
        return None
    try:
        return safe_json.loads(body)
    except safe_json.TooDeepError as exc:
        raise ApiError(400, f"BAD_REQUEST: body nests deeper than {safe_json.MAX_DEPTH} levels") from exc
    except UnicodeDecodeError as exc:
        raise ApiError(400, "BAD_REQUEST: body must be UTF-8 JSON") from exc
    except ValueError as exc:
        raise ApiError(400, f"BAD_REQUEST: body must be JSON ({exc})") from exc


async def body_of(request: Request) -> dict[str, Any]:
    """The JSON object body (``{}`` when empty); :class:`ApiError` otherwise."""
    body = await read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "BAD_REQUEST: body must be a JSON object")
    return body
