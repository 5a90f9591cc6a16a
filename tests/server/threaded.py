"""A meeting server on its own event-loop thread, for synchronous tests (hypothesis)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from rtk_widget.server import MeetingServer, ServerConfig


class ThreadedServer:
    """Started at construction; records every ERROR logged by the server or uvicorn."""

    def __init__(self, config: ServerConfig, *names: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = MeetingServer(config)
        self.call(self.server.start())
        self.meeting = self.call(self.server.admin.create_meeting(title="threaded"))
        self.people = [
            self.call(
                self.server.admin.add_participant(
                    self.meeting["id"], name=n, preset_name="group_call_host", custom_participant_id=n
                )
            )
            for n in names
        ]
        self.errors: list[logging.LogRecord] = []
        self._handler = logging.Handler(logging.ERROR)
        self._handler.emit = self.errors.append  # type: ignore[method-assign]
        for name in ("rtk_widget", "uvicorn"):
            logging.getLogger(name).addHandler(self._handler)

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        for name in ("rtk_widget", "uvicorn"):
            logging.getLogger(name).removeHandler(self._handler)
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
