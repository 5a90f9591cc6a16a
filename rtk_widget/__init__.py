"""rtk-widget: a live Cloudflare RealtimeKit meeting chat in Jupyter notebooks."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rtk_widget.client import (
        ChatError,
        ChatUpdateEvent,
        ConnectionState,
        FileMessage,
        ImageMessage,
        Meeting,
        Message,
        TextMessage,
    )
    from rtk_widget.widget import ChatWidget, ReplayWidget

try:
    __version__ = version("rtk-widget")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

# The client is imported on first use, so `import rtk_widget` stays light.
_CLIENT_EXPORTS = ("ChatError", "ChatUpdateEvent", "ConnectionState", "FileMessage", "ImageMessage",
                   "Meeting", "Message", "TextMessage")


def __getattr__(name: str) -> Any:
    if name in _CLIENT_EXPORTS:
        from rtk_widget import client

        return getattr(client, name)
    if name in ("ChatWidget", "ReplayWidget"):
        from rtk_widget import widget

        return getattr(widget, name)
    raise AttributeError(f"module 'rtk_widget' has no attribute {name!r}")


__all__ = ["ChatError", "ChatUpdateEvent", "ChatWidget", "ConnectionState", "FileMessage", "ImageMessage",
           "Meeting", "Message", "ReplayWidget", "TextMessage", "__version__"]
