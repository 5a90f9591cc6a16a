"""The embedded meeting server behind ``Meeting.local()``: one per process, on the network loop.

It lives and dies with the process (the notebook's kernel), on 127.0.0.1: another kernel has
its own and cannot see this one's meetings, but can join them with a token from ``invite()``.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from rtk_widget.client.errors import ChatError
from rtk_widget.client.invitation import Invitation
from rtk_widget.client.runtime import Runtime

if TYPE_CHECKING:
    from rtk_widget.server import MeetingServer

_shared: dict[str, asyncio.Task[MeetingServer]] = {}

SHARING_HINT = ("The embedded server behind Meeting.local() lives inside the kernel that started it, "
                "and each kernel has its own. To join a meeting from another kernel, run "
                "meeting.invite('Name') in the kernel that hosts it and paste the line it gives; to chat "
                "across machines, run `rtk-widget serve --host 0.0.0.0` (README: Sharing a chat).")


async def _start() -> MeetingServer:
    from rtk_widget.server import MeetingServer, ServerConfig

    server = MeetingServer(ServerConfig(host="127.0.0.1", port=0, data_dir=None))
    await server.start()
    return server


async def local_server(runtime: Runtime) -> MeetingServer:
    """Start the in-memory server on loopback the first time; reuse it afterwards.

    Runs on the network loop (the server's sockets live there, next to the client's).
    """
    if asyncio.get_running_loop() is not runtime.loop:
        raise RuntimeError("the local server runs on rtk-widget's network loop")
    task = _shared.get("server")
    if task is None:
        task = _shared["server"] = runtime.loop.create_task(_start())
    try:
        return await asyncio.shield(task)
    except Exception:
        _shared.pop("server", None)
        raise


def running_server() -> MeetingServer | None:
    """This process's embedded server, if it has started (call on the network loop)."""
    task = _shared.get("server")
    if task is None or not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()


async def local_participant(runtime: Runtime, *, display_name: str, meeting_id: str | None, title: str,
                            preset_name: str | None, called_as: str = "Meeting.local()",
                            ) -> tuple[str, str, str]:
    """Create (or reuse) a local meeting and add a participant: ``(base_url, meeting_id, token)``.

    The participant who creates the meeting gets ``group_call_host``; later ones
    ``group_call_participant`` unless ``preset_name`` says otherwise. A ``meeting_id``
    this process's server does not hold raises :class:`ChatError` explaining why; errors
    name ``called_as``.
    """
    from rtk_widget.server.admin import ApiError

    server = await local_server(runtime)
    if meeting_id is None:
        created: dict[str, Any] = await server.admin.create_meeting(title=title)
        meeting_id = str(created["id"])
        preset = preset_name or "group_call_host"
    else:
        preset = preset_name or "group_call_participant"
    try:
        participant = await server.admin.add_participant(
            meeting_id, name=display_name, preset_name=preset,
            custom_participant_id=f"local-{secrets.token_hex(6)}")
    except ApiError as exc:
        if exc.status == 404:
            raise ChatError(f"{called_as}: this kernel's embedded server has no meeting {meeting_id!r}. "
                            f"{SHARING_HINT}") from None
        raise ChatError(f"{called_as}: {exc.message}") from None
    return server.base_url, meeting_id, str(participant["token"])


async def local_invitation(runtime: Runtime, *, base_url: str | None, meeting_id: str, display_name: str,
                           preset_name: str | None) -> Invitation:
    """Add ``display_name`` to a meeting on this process's embedded server, for another kernel."""
    server = running_server()
    if server is None or base_url != server.base_url:
        where = base_url or "Cloudflare RealtimeKit"
        raise ChatError(
            f"invite() adds participants through this kernel's embedded server (Meeting.local()), and "
            f"this meeting is on {where}. Add participants where it lives: `rtk-widget token --url "
            f"{base_url or '<server url>'} --meeting {meeting_id} --name <name>` for an rtk-widget "
            f"server, the REST API for RealtimeKit.")
    if not isinstance(display_name, str) or not display_name.strip():
        raise ValueError(f"invite(display_name) needs a non-empty name, got {display_name!r}")
    preset = preset_name or "group_call_participant"
    url, _, token = await local_participant(runtime, display_name=display_name, meeting_id=meeting_id,
                                            title="", preset_name=preset, called_as="invite()")
    return Invitation(name=display_name, meeting_id=meeting_id, base_url=url, token=token, preset_name=preset)
