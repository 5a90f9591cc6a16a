"""The ``trusted_media_origins`` trait: the origins the kernel's media policy vouches for, told to
the panel so that in ``auto`` mode its browser loads a link itself only from one of them (any
other link goes to the kernel, which refuses it). A link in a message is chosen by whoever sent
it; letting every viewer's browser fetch it would leak their address to any host and reach
intranet addresses from the browser, around the kernel's guard.

The policy's list changes when the notebook trusts an origin and when this participant's own
upload lands on a new host, so the trait is set again then (before the message's delta leaves,
the change callbacks running ahead of the push on the dispatcher).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtk_widget.client.messages import FileMessage, ImageMessage

from ._media_policy import MediaPolicy, Origin

if TYPE_CHECKING:
    from rtk_widget.client.chat_state import ChatUpdateEvent

SetTraits = Callable[[dict[str, Any]], None]
Report = Callable[[str, Exception], None]


def origin_text(origin: Origin) -> str:
    """``scheme://host:port`` as a browser parses it back (an IPv6 host in brackets)."""
    scheme, host, port = origin
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class MediaOriginsTrait:
    """Keeps ``trusted_media_origins`` equal to what ``policy`` trusts for this participant."""

    def __init__(self, policy: MediaPolicy, own_user_id: Callable[[], str], set_traits: SetTraits,
                 report: Report) -> None:
        self.policy = policy
        self._own_user_id = own_user_id
        self._set_traits = set_traits
        self._report = report

    def sync(self) -> None:
        """Set the trait from the policy as it is now."""
        origins = sorted(origin_text(origin) for origin in self.policy.origins())
        self._set_traits({"trusted_media_origins": origins})

    def on_change(self, event: ChatUpdateEvent) -> None:
        """A chat change: only this participant's own attachments can add (or drop) an origin."""
        message = event.message
        if not isinstance(message, ImageMessage | FileMessage) or message.user_id != self._own_user_id():
            return
        try:
            self.sync()
        except Exception as exc:
            self._report("trusted media origins update", exc)
