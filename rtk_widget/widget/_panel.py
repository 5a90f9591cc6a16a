"""What every chat panel widget shares: the front-end bundle, the traits the panel reads for
any chat (live or replayed), the feed's Python-side traits and how the feed reaches them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from rtk_widget.client.chat_history import MessagesView

from ._handlers import ReadRequestHandlers
from ._layout import css_height
from ._protocol import DeltasPush

logger = logging.getLogger("rtk_widget")

STATIC = Path(__file__).resolve().parent.parent / "static"


def _bundle(name: str) -> Path | str:
    path = STATIC / name
    # A Python-only checkout (no Node build) still imports; the panel then shows nothing.
    return path if path.exists() else ""


class ChatPanel(anywidget.AnyWidget):
    """The base of :class:`ChatWidget` and :class:`ReplayWidget`: one panel, fed by a ``ChatFeed``."""

    _esm = _bundle("widget.js")
    _css = _bundle("widget.css")

    title = traitlets.Unicode("").tag(sync=True)
    """The panel's header."""
    height = traitlets.Union([traitlets.Unicode(), traitlets.Int()], default_value="480px").tag(sync=True)
    """The panel's height: a CSS length (``"60vh"``, ``"480px"``) or an int of pixels."""
    last_error = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    """The latest failure worth showing: ``{code, message, retry_after_ms?}`` or None."""
    seen_feed_seq = traitlets.Int(0).tag(sync=True, echo_update=False)
    """Written by the panel: the feed position it has applied (marimo re-runs cells that read the
    widget when the front end changes a trait; Python never sets it). Not echoed back to the
    front ends (ipywidgets would send every change back: 0.66 kB more per new message)."""

    messages = traitlets.Instance(MessagesView, args=([], 0), read_only=True)
    """The messages, oldest first: an immutable sequence (compares equal to a list), a new one on
    every change, taken in constant time (Python only, never synced)."""
    pinned = traitlets.Instance(MessagesView, args=([], 0), read_only=True)
    """The pinned messages, oldest first, like :attr:`messages` (Python only, never synced)."""

    _handlers: ReadRequestHandlers
    """Answers the panel's requests (set by the subclass, which also registers :meth:`_on_custom_msg`)."""

    @traitlets.validate("height")
    def _check_height(self, proposal: dict[str, Any]) -> str | int:
        return css_height(proposal["value"])

    def _show_messages(self, messages: MessagesView, pinned: MessagesView) -> None:
        with self.hold_trait_notifications():
            self.set_trait("messages", messages)
            self.set_trait("pinned", pinned)

    def _push(self, push: DeltasPush) -> None:
        self._send_from_any_thread(dict(push), [])

    def _send_from_any_thread(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        if self.comm is not None:
            self.send(content, buffers or None)

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list[bytes] | None) -> None:
        self._handlers.handle(content, buffers)

    def _report_failure(self, what: str, exc: Exception) -> None:
        """Log a failure and put it in ``last_error``."""
        logger.error("rtk-widget: %s failed", what, exc_info=exc)
        self.last_error = {"code": "internal", "message": f"{what} failed: {type(exc).__name__}: {exc}"}

    def _repr_keys(self) -> Any:
        # ipywidgets' repr lists every non-default trait; messages can be huge.
        return (key for key in super()._repr_keys() if key not in ("messages", "pinned"))
