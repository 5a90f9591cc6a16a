"""``Meeting.from_cloudflare``: a RealtimeKit meeting joined in one step through Cloudflare's SDK.

It creates the meeting when no ``meeting_id`` is given, adds the participant (or reuses the one
with ``custom_participant_id``, with a fresh token), and joins with the participant's token on
RealtimeKit's own URLs, or on the rtk-widget server given as ``base_url``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from rtk_widget.client.errors import CloudflareRequestError
from rtk_widget.cloudflare.api import RealtimeKitApp, connect

if TYPE_CHECKING:
    from cloudflare import Cloudflare

    from rtk_widget.client.meeting import Meeting

HOST_PRESET = "group_call_host"
GUEST_PRESET = "group_call_participant"
PAGE = 100


def from_cloudflare(
    meeting_id: str | None = None,
    name: str = "Participant",
    preset_name: str | None = None,
    *,
    client: Cloudflare | None = None,
    account_id: str | None = None,
    app_id: str | None = None,
    base_url: str | None = None,
    custom_participant_id: str | None = None,
    title: str = "Notebook chat",
    join: bool = True,
    meeting_class: type[Meeting] | None = None,
    **options: Any,
) -> Meeting:
    """Join a RealtimeKit meeting as ``name`` and return the :class:`Meeting`.

    Without ``meeting_id`` a meeting titled ``title`` is created and you join it with
    ``group_call_host``; otherwise you join with ``group_call_participant``; ``preset_name``
    overrides either. ``client``, ``account_id``, ``app_id`` and ``base_url`` pick the app
    (see :mod:`rtk_widget.cloudflare.api`); ``options`` go to ``Meeting(...)``. Errors are
    :class:`~rtk_widget.client.errors.CloudflareError` subclasses naming the SDK call.
    """
    from rtk_widget.client.meeting import Meeting

    app = connect(client, account_id=account_id, app_id=app_id, base_url=base_url)
    if meeting_id is None:
        created = app.call("meetings.create", app.kit.meetings.create, app.app_id, title=title)
        meeting_id = created.data.id
        preset_name = preset_name or HOST_PRESET
    else:
        app.call(
            "meetings.get_meeting_by_id", app.kit.meetings.get_meeting_by_id, meeting_id, app_id=app.app_id
        )
    custom_id = custom_participant_id or f"nb-{secrets.token_hex(6)}"
    token = participant_token(app, meeting_id, name, preset_name or GUEST_PRESET, custom_id)
    meeting = (meeting_class or Meeting)(token, base_url=app.server_url, **options)
    if join:
        meeting.join()
    return meeting


def participant_token(
    app: RealtimeKitApp, meeting_id: str, name: str, preset_name: str, custom_participant_id: str
) -> str:
    """A token for the meeting's participant with ``custom_participant_id``: a fresh one for an
    existing participant, else the new participant's."""
    existing = find_participant(app, meeting_id, custom_participant_id)
    if existing is not None:
        fresh = app.call(
            "meetings.refresh_participant_token",
            app.kit.meetings.refresh_participant_token,
            existing,
            app_id=app.app_id,
            meeting_id=meeting_id,
        )
        return str(fresh.data.token)
    try:
        added = app.call(
            "meetings.add_participant",
            app.kit.meetings.add_participant,
            meeting_id,
            app_id=app.app_id,
            name=name,
            preset_name=preset_name,
            custom_participant_id=custom_participant_id,
        )
    except CloudflareRequestError as exc:
        names = preset_names(app)
        if preset_name in names:
            raise
        raise CloudflareRequestError(
            f"{exc} (this app's presets: {', '.join(names) or 'none'})", call=exc.call, status=exc.status
        ) from exc
    if added.data is None:
        raise CloudflareRequestError(
            "the new participant came back without data", call="realtime_kit.meetings.add_participant"
        )
    return str(added.data.token)


def find_participant(app: RealtimeKitApp, meeting_id: str, custom_participant_id: str) -> str | None:
    """The id of the meeting's participant with that custom id, if there is one."""
    page = 1
    while True:
        listed = app.call(
            "meetings.get_meeting_participants",
            app.kit.meetings.get_meeting_participants,
            meeting_id,
            app_id=app.app_id,
            page_no=page,
            per_page=PAGE,
        )
        for participant in listed.data:
            if participant.custom_participant_id == custom_participant_id:
                return str(participant.id)
        if len(listed.data) < PAGE:
            return None
        page += 1


def preset_names(app: RealtimeKitApp) -> list[str]:
    """The names of the app's presets (first page of 100)."""
    listed = app.call("presets.get", app.kit.presets.get, app.app_id, per_page=PAGE)
    return [p.name for p in listed.data if p.name]
