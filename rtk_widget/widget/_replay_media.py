"""A replay's attachments, fetched through the kernel like the live panel's: the same ``media``
request, the same :class:`~._media_policy.MediaPolicy`. A replay has no meeting to vouch for
origins, so it vouches for its Chat Replay server's (the origin of the download URL it was read
from) and for those the notebook adds; a link in someone's message never makes the kernel, or
the viewer's browser, contact another host.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from rtk_widget.client.export import replay_url_of
from rtk_widget.client.messages import Message
from rtk_widget.client.runtime import get_runtime
from rtk_widget.wire import limits

from ._media_policy import MediaPolicy, attachment_name, origin_of

T = TypeVar("T")


def replay_server_url(source: object) -> str | None:
    """The Chat Replay download URL a replay's ``source`` is or came from, if it has one: a URL,
    the SDK's answer, a chatSynced event, or a :class:`~rtk_widget.cloudflare.SessionChat`."""
    url = replay_url_of(source)
    if url is None and hasattr(source, "messages"):
        held = getattr(source, "url", None)  # SessionChat keeps the URL it was downloaded from
        url = held if isinstance(held, str) else None
    return url if url is not None and origin_of(url) is not None else None


class ReplayMedia:
    """The replay's side of the panel's ``media`` requests (a ``MediaPort``): its session's
    attachment links, fetched on the client's network loop under :attr:`policy`."""

    def __init__(self, session: Sequence[Message], server_url: str | None) -> None:
        self.max_upload_bytes = limits.MAX_UPLOAD_BYTES
        self.policy = MediaPolicy(None)
        if server_url is not None:
            self.policy.trust(server_url)
        self._session = session

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the network loop (started on the first fetch) without waiting."""
        return get_runtime().submit(coro)

    def attachment_name(self, link: str) -> str | None:
        """The file name of the session's attachment at ``link`` ("" for images), None if none has it."""
        return attachment_name(self._session, link)

    async def fetch_media(self, link: str, max_bytes: int) -> tuple[bytes, str]:
        """Download an attachment from the kernel's side if the replay vouches for its origin."""
        return await self.policy.fetch(link, max_bytes)
