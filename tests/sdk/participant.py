"""One official-SDK participant: a Chromium page running the SDK, driven through ``rtkHarness``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, WebSocket

WAIT_MS = 15_000


class SdkCallError(AssertionError):
    """An SDK call rejected; ``error`` holds the SDK's ClientError fields (name, code, message)."""

    def __init__(self, method: str, error: dict[str, Any], console: list[str]) -> None:
        lines = "\n  ".join(line[:300] for line in console)
        super().__init__(f"rtkHarness.{method} failed: {error}\nlast console lines:\n  {lines}")
        self.error = error


class SdkParticipant:
    """Calls the harness in the page and waits for the SDK's events, without sleeping."""

    def __init__(self, page: Page, label: str) -> None:
        self.page = page
        self.label = label
        self.self_info: dict[str, Any] = {}
        self.console: list[str] = []  # the page's console, quoted in failures
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page_errors: list[str] = []  # uncaught exceptions in the page: must stay empty
        page.on("pageerror", self._page_error)
        self.sockets: list[WebSocket] = []  # the SDK's sockets, as Chromium sees them
        page.on("websocket", self._socket_opened)

    def _page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))
        self.console.append(f"pageerror: {error}")

    def _socket_opened(self, socket: WebSocket) -> None:
        self.sockets.append(socket)

    def attempt(self, method: str, *args: Any) -> dict[str, Any]:
        """Run an SDK call; return ``{"ok": True, "value": ...}`` or ``{"ok": False, "error": ...}``."""
        result: dict[str, Any] = self.page.evaluate(
            "([method, args]) => rtkHarness[method](...args)", [method, list(args)])
        return result

    def call(self, method: str, *args: Any) -> Any:
        """Run an SDK call and return its value; raise :class:`SdkCallError` if the SDK rejects it."""
        result = self.attempt(method, *args)
        if not result["ok"]:
            raise SdkCallError(method, result["error"], self.console[-15:])
        return result.get("value")

    def evaluate(self, method: str, *args: Any) -> Any:
        """Call a synchronous harness helper."""
        return self.page.evaluate("([method, args]) => rtkHarness[method](...args)", [method, list(args)])

    def init_and_join(self, token: str, base_uri: str) -> dict[str, Any]:
        """``RealtimeKitClient.init`` then ``meeting.join()``; returns ``meeting.self`` after the join."""
        self.call("init", token, base_uri)
        self.self_info = self.call("join")
        return self.self_info

    @property
    def user_id(self) -> str:
        """The participant's user id (``meeting.self.userId``)."""
        return str(self.self_info["userId"])

    def wait_event(self, kind: str, match: dict[str, Any], timeout_ms: int = WAIT_MS) -> dict[str, Any]:
        """The first recorded SDK event of ``kind`` whose dotted paths equal ``match``."""
        handle = self.page.wait_for_function(
            "([kind, match]) => rtkHarness.find(kind, match)", arg=[kind, match], timeout=timeout_ms)
        event: dict[str, Any] = handle.json_value()
        return event

    def added(self, match: dict[str, Any], timeout_ms: int = WAIT_MS) -> dict[str, Any]:
        """The message of the first ``chatUpdate`` "add" whose message fields equal ``match``."""
        fields = {"action": "add", **{f"message.{key}": value for key, value in match.items()}}
        message: dict[str, Any] = self.wait_event("chatUpdate", fields, timeout_ms)["message"]
        return message

    def wait_count(self, kind: str, match: dict[str, Any], count: int, timeout_ms: int = WAIT_MS) -> None:
        """Wait until ``count`` recorded events of ``kind`` match."""
        self.page.wait_for_function("([kind, match, count]) => rtkHarness.count(kind, match) >= count",
                                    arg=[kind, match, count], timeout=timeout_ms)

    def count_events(self, kind: str, match: dict[str, Any]) -> int:
        """How many recorded events of ``kind`` match."""
        return int(self.evaluate("count", kind, match))

    def wait_peer(self, user_id: str, timeout_ms: int = WAIT_MS) -> str:
        """The peer id of ``user_id`` once the SDK lists it among joined participants."""
        handle = self.page.wait_for_function(
            "(userId) => rtkHarness.peerIdOf(userId)", arg=user_id, timeout=timeout_ms)
        return str(handle.json_value())


OpenPage = Callable[[str], SdkParticipant]
"""Opens the SDK test page in a fresh browser context and wraps it (the ``open_sdk_page`` fixture)."""
