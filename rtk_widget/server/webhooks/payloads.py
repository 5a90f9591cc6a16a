"""Webhook bodies in RealtimeKit's shapes (docs/rest.md), built from the stored session.

Meeting events carry a ``meeting`` block; participant events add ``participant``;
``meeting.chatSynced`` is flat and carries the Chat Replay download URL, which expires: it is
queued without one (:func:`chat_synced`) and given a fresh one at each attempt
(:func:`with_chat_download`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rtk_widget.server.store.records import iso

MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
PARTICIPANT_JOINED = "meeting.participantJoined"
PARTICIPANT_LEFT = "meeting.participantLeft"
CHAT_SYNCED = "meeting.chatSynced"

DELIVERED = (MEETING_STARTED, MEETING_ENDED, PARTICIPANT_JOINED, PARTICIPANT_LEFT, CHAT_SYNCED)
"""The events this server sends."""

EVENT_NAMES = frozenset(
    {
        *DELIVERED,
        "recording.statusUpdate",
        "livestreaming.statusUpdate",
        "meeting.transcript",
        "meeting.summary",
    }
)
"""Every event name RealtimeKit accepts in a registration (the others are never sent here)."""


def _organizer(app_id: str) -> dict[str, str]:
    return {"id": app_id, "name": app_id}


def meeting_block(session: Mapping[str, Any], app_id: str, status: str) -> dict[str, Any]:
    """``session`` is a sessions row joined with its meeting's title (store.sessions)."""
    block: dict[str, Any] = {
        "id": session["meeting_id"],
        "sessionId": session["id"],
        "title": session["title"] or "",
        "roomName": session["meeting_id"],
        "status": status,
        "createdAt": iso(session["started_ms"]),
        "startedAt": iso(session["started_ms"]),
        "organizedBy": _organizer(app_id),
    }
    if status == "ENDED" and session["ended_ms"] is not None:
        block["endedAt"] = iso(session["ended_ms"])
    return block


def participant_block(peer: Mapping[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {
        "peerId": peer["peer_id"],
        "userDisplayName": peer["display_name"],
        "customParticipantId": peer["custom_participant_id"],
        "clientSpecificId": peer["custom_participant_id"],  # deprecated alias, still sent
        "joinedAt": iso(peer["joined_ms"]),
    }
    if peer["left_ms"] is not None:
        block["leftAt"] = iso(peer["left_ms"])
    return block


def meeting_event(event: str, session: Mapping[str, Any], app_id: str) -> dict[str, Any]:
    if event == MEETING_ENDED:
        return {
            "event": event,
            "meeting": meeting_block(session, app_id, "ENDED"),
            "reason": "ALL_PARTICIPANTS_LEFT",
        }
    return {"event": event, "meeting": meeting_block(session, app_id, "LIVE")}


def participant_event(
    event: str, session: Mapping[str, Any], peer: Mapping[str, Any], app_id: str
) -> dict[str, Any]:
    return {
        "event": event,
        "meeting": meeting_block(session, app_id, "LIVE"),
        "participant": participant_block(peer),
    }


def chat_synced(session: Mapping[str, Any], app_id: str) -> dict[str, Any]:
    """The ``meeting.chatSynced`` body as queued: everything but the Chat Replay URL."""
    return {
        "event": CHAT_SYNCED,
        "sessionId": session["id"],
        "meetingId": session["meeting_id"],
        "title": session["title"] or "",
        "createdAt": iso(session["started_ms"]),
        "startedAt": iso(session["started_ms"]),
        "endedAt": iso(session["ended_ms"]),
        "organizedBy": _organizer(app_id),
    }


def with_chat_download(body: Mapping[str, Any], download: Mapping[str, str]) -> dict[str, Any]:
    """A queued ``meeting.chatSynced`` ``body`` with Chat Replay's ``download`` (its
    ``{chat_download_url, chat_download_url_expiry}``) after the title, in place of any it had."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key not in ("chatDownloadUrl", "chatDownloadUrlExpiry"):
            out[key] = value
        if key == "title":
            out["chatDownloadUrl"] = download["chat_download_url"]
            out["chatDownloadUrlExpiry"] = download["chat_download_url_expiry"]
    return out
