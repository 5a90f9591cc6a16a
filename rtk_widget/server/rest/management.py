"""Management REST with Cloudflare's paths and JSON shapes (docs/rest.md), below
``/client/v4/accounts/{account_id}/realtime/kit/{app_id}``, with Bearer API-token auth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rtk_widget.server.admin import Admin, ApiError
from rtk_widget.server.auth import api_token_ok
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.rest.bodies import body_of
from rtk_widget.server.rest.replay import Replay
from rtk_widget.server.rest.responses import json_error, ok
from rtk_widget.server.rest.sdk import api_base

PREFIX = "/client/v4/accounts/{account_id}/realtime/kit/{app_id}"
MAX_PER_PAGE = 100

Endpoint = Callable[[Request], Awaitable[Any]]
RouteEntry = tuple[str, Endpoint, list[str]]
"""A path below PREFIX, its endpoint and methods."""


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, f'BAD_REQUEST: "{name}" must be a number') from exc
    if not low <= value <= high:
        raise ApiError(400, f'BAD_REQUEST: "{name}" must be between {low} and {high}')
    return value


def paging_args(request: Request) -> tuple[int, int]:
    page_no = _int(request, "page_no", 1, 1, 1_000_000)
    per_page = _int(request, "per_page", 20, 1, MAX_PER_PAGE)
    return (page_no - 1) * per_page, per_page


def choice_arg(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    """An optional query parameter that must be one of ``choices``."""
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise ApiError(400, f'BAD_REQUEST: "{name}" must be {" or ".join(choices)}')
    return value


def paging(offset: int, count: int, total: int) -> dict[str, int]:
    return {"total_count": total, "start_offset": offset + 1 if count else 0, "end_offset": offset + count}


class Management:
    def __init__(
        self,
        config: ServerConfig,
        admin: Admin,
        replay: Replay,
        api_token: str,
        extra: Sequence[RouteEntry] = (),
    ) -> None:
        self.config = config
        self.extra = list(extra)
        self.admin = admin
        self.replay = replay
        self.api_token = api_token

    def _wrap(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if not api_token_ok(self.api_token, request.headers.get("authorization")):
                return JSONResponse(
                    {
                        "success": False,
                        "error": {"code": 401, "message": "Unauthorized"},
                        "message": "Unauthorized",
                    },
                    status_code=401,
                )
            if (
                request.path_params["account_id"] != self.config.account_id
                or request.path_params["app_id"] != self.config.app_id
            ):
                return json_error(404, "No app found for this account and app id")
            try:
                result = await endpoint(request)
            except ApiError as exc:
                return json_error(exc.status, exc.message)
            return result if isinstance(result, Response) else ok(result)

        return handle

    def routes(self) -> list[BaseRoute]:
        table: list[RouteEntry] = [
            ("/meetings", self.create_meeting, ["POST"]),
            ("/meetings", self.list_meetings, ["GET"]),
            ("/meetings/{meeting_id}", self.get_meeting, ["GET"]),
            ("/meetings/{meeting_id}", self.patch_meeting, ["PATCH"]),
            ("/meetings/{meeting_id}", self.put_meeting, ["PUT"]),
            ("/meetings/{meeting_id}/participants", self.add_participant, ["POST"]),
            ("/meetings/{meeting_id}/participants", self.list_participants, ["GET"]),
            ("/meetings/{meeting_id}/participants/{participant_id}", self.get_participant, ["GET"]),
            ("/meetings/{meeting_id}/participants/{participant_id}", self.patch_participant, ["PATCH"]),
            ("/meetings/{meeting_id}/participants/{participant_id}", self.delete_participant, ["DELETE"]),
            ("/meetings/{meeting_id}/participants/{participant_id}/token", self.refresh_token, ["POST"]),
            ("/meetings/{meeting_id}/active-session", self.active_session, ["GET"]),
            ("/presets", self.list_presets, ["GET"]),
            ("/presets", self.create_preset, ["POST"]),
            ("/presets/{preset_id}", self.get_preset, ["GET"]),
            ("/presets/{preset_id}", self.patch_preset, ["PATCH"]),
            ("/sessions", self.list_sessions, ["GET"]),
            ("/sessions/{session_id}", self.get_session, ["GET"]),
            ("/sessions/{session_id}/participants", self.session_participants, ["GET"]),
            ("/sessions/{session_id}/participants/{peer_id}", self.session_participant, ["GET"]),
            ("/sessions/{session_id}/chat", self.session_chat, ["GET"]),
            *self.extra,
        ]
        return [Route(PREFIX + path, self._wrap(fn), methods=methods) for path, fn, methods in table]

    # -- meetings ----------------------------------------------------------------------------

    async def create_meeting(self, request: Request) -> Response:
        body = await body_of(request)
        title = body.pop("title", None)
        if title is not None and not isinstance(title, str):
            raise ApiError(400, 'BAD_REQUEST: "title" must be a string')
        return ok(await self.admin.create_meeting(title, **body), 201)

    async def list_meetings(self, request: Request) -> Response:
        offset, limit = paging_args(request)
        status = choice_arg(request, "status", ("ACTIVE", "INACTIVE"))
        items, total = await self.admin.list_meetings(
            offset, limit, request.query_params.get("search"), status
        )
        return ok(items, paging=paging(offset, len(items), total))

    async def get_meeting(self, request: Request) -> Any:
        return await self.admin.get_meeting(request.path_params["meeting_id"])

    async def patch_meeting(self, request: Request) -> Any:
        return await self.admin.update_meeting(request.path_params["meeting_id"], await body_of(request))

    async def put_meeting(self, request: Request) -> Any:
        return await self.admin.update_meeting(
            request.path_params["meeting_id"], await body_of(request), replace=True
        )

    # -- participants ------------------------------------------------------------------------

    async def add_participant(self, request: Request) -> Response:
        body = await body_of(request)
        participant = await self.admin.add_participant(
            request.path_params["meeting_id"],
            preset_name=body.get("preset_name"),  # type: ignore[arg-type]
            custom_participant_id=body.get("custom_participant_id"),  # type: ignore[arg-type]
            name=body.get("name"),
            picture=body.get("picture"),
        )
        return ok(participant, 201)

    async def list_participants(self, request: Request) -> Response:
        offset, limit = paging_args(request)
        items, total = await self.admin.list_participants(request.path_params["meeting_id"], offset, limit)
        return ok(items, paging=paging(offset, len(items), total))

    async def get_participant(self, request: Request) -> Any:
        return await self.admin.get_participant(
            request.path_params["meeting_id"], request.path_params["participant_id"]
        )

    async def patch_participant(self, request: Request) -> Any:
        return await self.admin.update_participant(
            request.path_params["meeting_id"], request.path_params["participant_id"], await body_of(request)
        )

    async def delete_participant(self, request: Request) -> Any:
        return await self.admin.delete_participant(
            request.path_params["meeting_id"], request.path_params["participant_id"]
        )

    async def refresh_token(self, request: Request) -> Any:
        return await self.admin.refresh_token(
            request.path_params["meeting_id"], request.path_params["participant_id"]
        )

    async def active_session(self, request: Request) -> Any:
        meeting_id = request.path_params["meeting_id"]
        await self.admin.get_meeting(meeting_id)
        return await self.admin.active_session(meeting_id)

    # -- presets -----------------------------------------------------------------------------

    async def list_presets(self, request: Request) -> Response:
        offset, limit = paging_args(request)
        items, total = await self.admin.list_presets(offset, limit, request.query_params.get("search"))
        return ok(items, paging=paging(offset, len(items), total))

    async def create_preset(self, request: Request) -> Response:
        return ok(await self.admin.save_preset(await body_of(request)), 201)

    async def get_preset(self, request: Request) -> Any:
        return await self.admin.get_preset(request.path_params["preset_id"])

    async def patch_preset(self, request: Request) -> Any:
        return await self.admin.save_preset(await body_of(request), request.path_params["preset_id"])

    # -- sessions ----------------------------------------------------------------------------

    async def list_sessions(self, request: Request) -> Response:
        offset, limit = paging_args(request)
        status = choice_arg(request, "status", ("LIVE", "ENDED"))
        items, total = await self.admin.list_sessions(
            associated_id=request.query_params.get("associated_id"),
            status=status,
            offset=offset,
            limit=limit,
            ascending=request.query_params.get("sort_order", "DESC").upper() == "ASC",
        )
        return ok({"sessions": items}, paging=paging(offset, len(items), total))

    async def get_session(self, request: Request) -> Any:
        return await self.admin.get_session(request.path_params["session_id"])

    async def session_participants(self, request: Request) -> Any:
        return {"participants": await self.admin.session_participants(request.path_params["session_id"])}

    async def session_participant(self, request: Request) -> Any:
        found = await self.admin.session_participants(
            request.path_params["session_id"], request.path_params["peer_id"]
        )
        if not found:
            raise ApiError(404, f"No participant found with id {request.path_params['peer_id']}")
        return {"participant": found[0]}

    async def session_chat(self, request: Request) -> Any:
        session_id = request.path_params["session_id"]
        await self.admin.get_session(session_id)
        return self.replay.download_url(api_base(self.config, request), session_id)
