"""The Python client's side of a mixed meeting: its chat events, recorded and waited on without sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rtk_widget.client import Meeting

WAIT_S = 15.0


class ChatLog:
    """Records ``(event name, payload)`` of a Python meeting's chat events, in order."""

    EVENTS = ("chatUpdate", "pinMessage", "unpinMessage")

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.entries: list[tuple[str, Any]] = []
        self._changed = threading.Condition()
        for name in self.EVENTS:
            meeting.chat.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            with self._changed:
                self.entries.append((name, payload))
                self._changed.notify_all()
        return record

    def wait(self, name: str, predicate: Callable[[Any], bool], timeout: float = WAIT_S) -> Any:
        """The first payload of event ``name`` for which ``predicate`` holds."""
        def found() -> Any:
            return next((p for n, p in self.entries if n == name and predicate(p)), None)

        with self._changed:
            assert self._changed.wait_for(lambda: found() is not None, timeout), (
                f"no {name} matched within {timeout} s; saw {[n for n, _ in self.entries]}")
            return found()

    def added(self, predicate: Callable[[Any], bool]) -> Any:
        """The message of the first chatUpdate "add" whose message satisfies ``predicate``."""
        return self.wait("chatUpdate", lambda ev: ev.action == "add" and predicate(ev.message)).message

    def count(self, predicate: Callable[[Any], bool]) -> int:
        """How many recorded chatUpdate messages satisfy ``predicate``."""
        with self._changed:
            return sum(1 for n, p in self.entries if n == "chatUpdate" and predicate(p.message))


def text_is(text: str) -> Callable[[Any], bool]:
    """Matches a text message with exactly ``text``."""
    return lambda message: getattr(message, "message", None) == text
