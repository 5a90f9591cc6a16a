"""The embedded meeting server behind ``Meeting.local()``: one per process, on the network loop."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from rtk_widget.client.runtime import Runtime

if TYPE_CHECKING:
    from rtk_widget.server import MeetingServer

_shared: dict[str, asyncio.Task[MeetingServer]] = {}


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


async def local_participant(runtime: Runtime, *, display_name: str, meeting_id: str | None, title: str,
                            preset_name: str | None) -> tuple[str, str, str]:
    """Create (or reuse) a local meeting and add a participant: ``(base_url, meeting_id, token)``.

    The participant who creates the meeting gets ``group_call_host``; later ones
    ``group_call_participant`` unless ``preset_name`` says otherwise.
    """
    server = await local_server(runtime)
    if meeting_id is None:
        created: dict[str, Any] = await server.admin.create_meeting(title=title)
        meeting_id = str(created["id"])
        preset = preset_name or "group_call_host"
    else:
        preset = preset_name or "group_call_participant"
    participant = await server.admin.add_participant(
        meeting_id, name=display_name, preset_name=preset,
        custom_participant_id=f"local-{secrets.token_hex(6)}")
    return server.base_url, meeting_id, str(participant["token"])
