"""Presets: RealtimeKit's shape (config, permissions, ui), the built-ins, and permission checks.

Two chat permissions are rtk-widget extensions (RealtimeKit's presets have no such fields;
its UI kit takes a ``canPinMessages`` flag): ``permissions.chat.can_pin_messages`` (pin and
unpin) and ``permissions.chat.can_moderate_messages`` (edit and delete other participants'
messages). A preset without them gets ``False``: only authors edit or delete, nobody pins.
"""

from __future__ import annotations

import copy
from typing import Any

VIEW_TYPES = ("GROUP_CALL", "WEBINAR", "AUDIO_ROOM", "LIVESTREAM", "CHAT")


def _chat(*, host: bool, files: bool = True) -> dict[str, Any]:
    return {
        "public": {"can_send": True, "text": True, "files": files},
        "private": {"can_send": True, "can_receive": True, "text": True, "files": files},
        "can_pin_messages": host,
        "can_moderate_messages": host,
    }


def _preset(name: str, view_type: str, *, host: bool) -> dict[str, Any]:
    media = view_type != "LIVESTREAM" or host
    return {
        "name": name,
        "config": {
            "view_type": view_type,
            "max_screenshare_count": 1,
            "max_video_streams": {"desktop": 9, "mobile": 4},
            "media": {
                "audio": {"enable_stereo": False, "enable_high_bitrate": False},
                "video": {"quality": "hd", "frame_rate": 30} if media else {},
                "screenshare": {"quality": "hd", "frame_rate": 5} if media else {},
            },
        },
        "permissions": {
            "chat": _chat(host=host),
            "plugins": {"can_start": host, "can_close": host, "can_edit_config": host, "config": {}},
            "polls": {"can_create": host, "can_vote": True, "can_view": True},
            "media": {
                "audio": {"can_produce": "ALLOWED" if media else "NOT_ALLOWED"},
                "video": {"can_produce": "ALLOWED" if media else "NOT_ALLOWED"},
                "screenshare": {"can_produce": "ALLOWED" if media else "NOT_ALLOWED"},
            },
            "show_participant_list": True,
            "can_edit_display_name": False,
            "hidden_participant": False,
            "kick_participant": host,
            "pin_participant": host,
            "accept_waiting_requests": False,
            "waiting_room_type": "SKIP",
            "recorder_type": "NONE",
            "is_recorder": False,
            "can_record": False,
            "can_livestream": view_type == "LIVESTREAM" and host,
            "can_spotlight": host,
            "disable_participant_audio": host,
            "disable_participant_video": host,
            "disable_participant_screensharing": host,
            "connected_meetings": {
                "can_alter_connected_meetings": False,
                "can_switch_connected_meetings": False,
                "can_switch_to_parent_meeting": False,
            },
        },
        "ui": {
            "design_tokens": {
                "theme": "dark",
                "border_radius": "rounded",
                "border_width": "thin",
                "spacing_base": 4,
                "colors": {},
            }
        },
    }


BUILTIN_PRESETS: tuple[dict[str, Any], ...] = (
    _preset("group_call_host", "GROUP_CALL", host=True),
    _preset("group_call_participant", "GROUP_CALL", host=False),
    _preset("livestream_host", "LIVESTREAM", host=True),
    _preset("livestream_viewer", "LIVESTREAM", host=False),
)


def builtin(name: str) -> dict[str, Any] | None:
    for preset in BUILTIN_PRESETS:
        if preset["name"] == name:
            return copy.deepcopy(preset)
    return None


def _flag(permissions: dict[str, Any], *path: str) -> bool:
    node: Any = permissions
    for key in path:
        if not isinstance(node, dict):
            return False
        node = node.get(key)
    return node is True


class Permissions:
    """Server-side view of a preset's chat permissions."""

    def __init__(self, preset: dict[str, Any]) -> None:
        self.preset = preset
        self._p: dict[str, Any] = preset.get("permissions") or {}

    @property
    def view_type(self) -> str:
        return str((self.preset.get("config") or {}).get("view_type", "GROUP_CALL"))

    def can_send(self, payload_type: int, private: bool) -> bool:
        scope = "private" if private else "public"
        if not _flag(self._p, "chat", scope, "can_send"):
            return False
        text = _flag(self._p, "chat", scope, "text")
        files = _flag(self._p, "chat", scope, "files")
        if payload_type in (1, 2):
            return files
        if payload_type == 3:
            return text and files
        return text

    @property
    def can_receive_private(self) -> bool:
        return _flag(self._p, "chat", "private", "can_receive")

    @property
    def can_pin(self) -> bool:
        return _flag(self._p, "chat", "can_pin_messages")

    @property
    def can_moderate(self) -> bool:
        return _flag(self._p, "chat", "can_moderate_messages")


def validate_preset_body(body: Any) -> str | None:
    """Why a preset body (create/patch) is unacceptable, or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        return '"name" is required'
    for key in ("config", "permissions"):
        if not isinstance(body.get(key), dict):
            return f'"{key}" is required'
    view = body["config"].get("view_type")
    if view not in VIEW_TYPES:
        return f'"config.view_type" must be one of {", ".join(VIEW_TYPES)}'
    if body.get("ui") is not None and not isinstance(body.get("ui"), dict):
        return '"ui" must be an object'
    return None
