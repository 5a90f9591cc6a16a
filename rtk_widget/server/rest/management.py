"""Management REST with Cloudflare's paths and JSON shapes (docs/rest.md), below
``/client/v4/accounts/{account_id}/realtime/kit/{app_id}`` (apps: ``.../realtime/kit/apps``),
with Bearer API-token auth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
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
from rtk_widget.server.store.sessions import SessionFilter

APPS = "/client/v4/accounts/{account_id}/realtime/kit/apps"
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


def time_arg(request: Request, name: str) -> int | None:
    """An optional ISO-8601 time query parameter, as epoch ms (a time without zone is UTC)."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise ApiError(400, f'BAD_REQUEST: "{name}" must be an ISO-8601 date-time') from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def bool_arg(request: Request, name: str) -> bool:
    return choice_arg(request, name, ("true", "false")) == "true"


def range_arg(request: Request, name: str) -> tuple[int | None, int | None]:
    """``"low:high"`` (either side may be empty) or one number ``"n"`` (exactly n)."""
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None, None
    low, sep, high = raw.partition(":")
    if not sep:
        high = low
    try:
        return (int(low) if low else None), (int(high) if high else None)
    except ValueError as exc:
        raise ApiError(400, f'BAD_REQUEST: "{name}" must look like "1:10"') from exc


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
                or request.path_params.get("app_id", self.config.app_id) != self.config.app_id
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
            ("/presets/{preset_id}", self.put_preset, ["PUT"]),
            ("/presets/{preset_id}", self.delete_preset, ["DELETE"]),
            ("/meetings/{meeting_id}/active-session/kick", self.kick, ["POST"]),
            ("/meetings/{meeting_id}/active-session/kick-all", self.kick_all, ["POST"]),
            ("/sessions", self.list_sessions, ["GET"]),
            ("/sessions/{session_id}", self.get_session, ["GET"]),
            ("/sessions/{session_id}/participants", self.session_participants, ["GET"]),
            ("/sessions/{session_id}/participants/{peer_id}", self.session_participant, ["GET"]),
            ("/sessions/{session_id}/chat", self.session_chat, ["GET"]),
            *self.extra,
        ]
        apps = Route(APPS, self._wrap(self.list_apps), methods=["GET"])
        return [apps, *(Route(PREFIX + path, self._wrap(fn), methods=methods) for path, fn, methods in table)]

    # -- apps --------------------------------------------------------------------------------

    async def list_apps(self, request: Request) -> Response:
        paging_args(request)  # checked, though there is one app
        search = (request.query_params.get("search") or "").lower()
        items = [a for a in await self.admin.apps() if search in a["name"].lower()]
        return ok(items, paging=paging(0, len(items), len(items)))

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
        created = (time_arg(request, "start_time"), time_arg(request, "end_time"))
        items, total = await self.admin.list_meetings(
            offset, limit, request.query_params.get("search"), status, created
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

    async def put_preset(self, request: Request) -> Any:
        return await self.admin.save_preset(
            await body_of(request), request.path_params["preset_id"], replace=True
        )

    async def delete_preset(self, request: Request) -> Any:
        return await self.admin.delete_preset(request.path_params["preset_id"])

    # -- active session ----------------------------------------------------------------------

    async def kick(self, request: Request) -> Any:
        body = await body_of(request)
        ids = {key: body.get(key) for key in ("participant_ids", "custom_participant_ids")}
        for key, value in ids.items():
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)
            ):
                raise ApiError(400, f'BAD_REQUEST: "{key}" must be an array of ids')
        if not any(ids.values()):
            raise ApiError(400, 'BAD_REQUEST: give "participant_ids" or "custom_participant_ids"')
        people = await self.admin.kick(
            request.path_params["meeting_id"], ids["participant_ids"], ids["custom_participant_ids"]
        )
        return {"action": "kick", "participants": people}

    async def kick_all(self, request: Request) -> Any:
        count = await self.admin.kick_all(request.path_params["meeting_id"])
        return {"action": "kick_all", "kicked_participants_count": count}

    # -- sessions ----------------------------------------------------------------------------

    async def list_sessions(self, request: Request) -> Response:
        offset, limit = paging_args(request)
        where = SessionFilter(
            associated_id=request.query_params.get("associated_id"),
            status=choice_arg(request, "status", ("LIVE", "ENDED")),
            started_from=time_arg(request, "start_time"),
            started_until=time_arg(request, "end_time"),
            search=request.query_params.get("search"),
            participants=range_arg(request, "participants"),
        )
        items, total = await self.admin.list_sessions(
            where,
            offset=offset,
            limit=limit,
            sort_by=choice_arg(request, "sort_by", ("createdAt", "minutesConsumed")) or "createdAt",
            ascending=choice_arg(request, "sort_order", ("ASC", "DESC")) == "ASC",
        )
        return ok({"sessions": items}, paging=paging(offset, len(items), total))

    async def get_session(self, request: Request) -> Any:
        return await self.admin.get_session(request.path_params["session_id"])

    async def session_participants(self, request: Request) -> Any:
        offset, limit = paging_args(request)
        sort_by = choice_arg(request, "sort_by", ("joinedAt", "duration"))
        descending = choice_arg(request, "sort_order", ("ASC", "DESC")) == "DESC"
        choice_arg(request, "view", ("raw", "consolidated"))  # no breakout rooms: both are the same
        people = await self.admin.session_participants(
            request.path_params["session_id"], peer_events=bool_arg(request, "include_peer_events")
        )
        search = (request.query_params.get("search") or "").lower()
        if search:
            people = [p for p in people if _matches(p, search)]
        if sort_by or descending:
            key = "duration" if sort_by == "duration" else "joined_at"
            people.sort(key=lambda p: p[key], reverse=descending)
        return {"participants": people[offset : offset + limit]}

    async def session_participant(self, request: Request) -> Any:
        found = await self.admin.session_participants(
            request.path_params["session_id"],
            request.path_params["peer_id"],
            peer_events=bool_arg(request, "include_peer_events"),
        )
        if not found:
            raise ApiError(404, f"No participant found with id {request.path_params['peer_id']}")
        return {"participant": found[0]}

    async def session_chat(self, request: Request) -> Any:
        session_id = request.path_params["session_id"]
        await self.admin.get_session(session_id)
        return self.replay.download_url(api_base(self.config, request), session_id)


def _matches(participant: dict[str, Any], search: str) -> bool:
    """A session participant search: its peer, participant or custom id, or part of its name."""
    ids = (participant["id"], participant["user_id"], participant["custom_participant_id"])
    return search in (str(i).lower() for i in ids) or search in str(participant["display_name"]).lower()
