"""Presets: RealtimeKit's shape (config, permissions, ui), the built-ins, and permission checks.

Every preset the server returns has the full shape of RealtimeKit's Preset object (all the
fields its official SDKs require): a body given to create or update is laid over
:func:`defaults` (a participant preset of the same view type), so a partial body is completed
rather than stored partial. ``view_type`` is one of RealtimeKit's four.

Two chat permissions are rtk-widget extensions (RealtimeKit's presets have no such fields;
its UI kit takes a ``canPinMessages`` flag): ``permissions.chat.can_pin_messages`` (pin and
unpin) and ``permissions.chat.can_moderate_messages`` (edit and delete other participants'
messages). A preset that does not set them (any preset made with RealtimeKit's own API or
SDKs) takes them from the fields RealtimeKit does have: pinning messages follows
``permissions.pin_participant`` and moderating follows ``permissions.kick_participant`` (who
may remove a person may remove their messages). The built-in ``*_host`` presets have both.
"""

from __future__ import annotations

import copy
from typing import Any

VIEW_TYPES = ("GROUP_CALL", "WEBINAR", "AUDIO_ROOM", "LIVESTREAM")
CHAT_EXTENSIONS = {"can_pin_messages": "pin_participant", "can_moderate_messages": "kick_participant"}
"""Our chat flags and the RealtimeKit permission each one follows when a preset leaves it out."""

# The string fields RealtimeKit's Preset type restricts to a set of values, by field name.
CHOICES: dict[str, tuple[str, ...]] = {
    "quality": ("hd", "vga", "qvga", "fhd", "uhd"),
    "can_produce": ("ALLOWED", "NOT_ALLOWED", "CAN_REQUEST"),
    "recorder_type": ("RECORDER", "LIVESTREAMER", "NONE"),
    "waiting_room_type": ("SKIP", "ON_PRIVILEGED_USER_ENTRY", "SKIP_ON_ACCEPT"),
    "theme": ("darkest", "dark", "light"),
    "border_radius": ("sharp", "rounded", "extra-rounded", "circular"),
    "border_width": ("none", "thin", "fat"),
}

# RealtimeKit's dark theme, for presets created without ui.design_tokens.colors.
DEFAULT_COLORS: dict[str, Any] = {
    "background": {"1000": "#080808", "900": "#1A1A1A", "800": "#1E1E1E", "700": "#2C2C2C", "600": "#393939"},
    "brand": {"300": "#844D1C", "400": "#9D5B22", "500": "#B56927", "600": "#D37C30", "700": "#D9904A"},
    "danger": "#FF2D2D",
    "success": "#62A504",
    "text": "#EEEEEE",
    "text_on_brand": "#EEEEEE",
    "video_bg": "#191919",
    "warning": "#FFCD07",
}


def _chat(*, host: bool, files: bool = True) -> dict[str, Any]:
    return {
        "public": {"can_send": True, "text": True, "files": files},
        "private": {"can_send": True, "can_receive": True, "text": True, "files": files},
        "can_pin_messages": host,
        "can_moderate_messages": host,
    }


def _preset(name: str, view_type: str, *, host: bool) -> dict[str, Any]:
    # A livestream viewer produces no media: its permissions say so; config.media keeps the
    # quality settings RealtimeKit requires of every preset.
    media = view_type != "LIVESTREAM" or host
    return {
        "name": name,
        "config": {
            "view_type": view_type,
            "max_screenshare_count": 1,
            "max_video_streams": {"desktop": 9, "mobile": 4},
            "media": {
                "audio": {"enable_stereo": False, "enable_high_bitrate": False},
                "video": {"quality": "hd", "frame_rate": 30},
                "screenshare": {"quality": "hd", "frame_rate": 5},
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
            "can_accept_production_requests": host,
            "can_change_participant_permissions": host,
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
                "colors": copy.deepcopy(DEFAULT_COLORS),
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


def defaults(view_type: str = "GROUP_CALL") -> dict[str, Any]:
    """The fields a preset body leaves out: a participant's (not a host's) of ``view_type``,
    without our chat extensions (those follow RealtimeKit's fields, see the module doc)."""
    base = _preset("", view_type if view_type in VIEW_TYPES else "GROUP_CALL", host=False)
    for key in CHAT_EXTENSIONS:
        del base["permissions"]["chat"][key]
    del base["name"]
    return base


def merged(base: Any, over: Any) -> Any:
    """``over`` laid over ``base``: objects merge key by key, anything else replaces."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = merged(base.get(key), value) if key in base else copy.deepcopy(value)
    return out


def complete(body: dict[str, Any]) -> dict[str, Any]:
    """A create/update body completed with :func:`defaults` for its view type."""
    view = (body.get("config") or {}).get("view_type", "GROUP_CALL")
    return merged(defaults(view), body)  # type: ignore[no-any-return]


def effective(preset: dict[str, Any]) -> dict[str, Any]:
    """The preset with our chat extension flags filled in where it leaves them out."""
    permissions = preset.get("permissions")
    chat = permissions.get("chat") if isinstance(permissions, dict) else None
    if not isinstance(chat, dict) or all(key in chat for key in CHAT_EXTENSIONS):
        return preset
    assert isinstance(permissions, dict)
    filled = {key: permissions.get(source) is True for key, source in CHAT_EXTENSIONS.items()}
    return {**preset, "permissions": {**permissions, "chat": {**filled, **chat}}}


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
        self._p: dict[str, Any] = effective(preset).get("permissions") or {}

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
    """Why a preset body (create/patch, merged with the stored preset) is unacceptable, or None."""
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
    return _shape_problem(complete(body), defaults(view))


def _shape_problem(value: Any, model: Any, path: str = "") -> str | None:
    """Where ``value`` breaks the type of the same field in ``model`` (a complete preset)."""
    if isinstance(model, dict):
        if not isinstance(value, dict):
            return f'"{path}" must be an object'
        for key, sub in model.items():
            problem = _shape_problem(value.get(key), sub, f"{path}.{key}" if path else key)
            if problem:
                return problem
        return None
    if isinstance(model, bool):
        return None if isinstance(value, bool) else f'"{path}" must be a boolean'
    if isinstance(model, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f'"{path}" must be a number'
    if isinstance(model, str):
        choices = CHOICES.get(path.rsplit(".", 1)[-1])
        if choices is not None and value not in choices:
            return f'"{path}" must be one of {", ".join(choices)}'
        return None if isinstance(value, str) else f'"{path}" must be a string'
    return None
