"""Which attachment links the kernel fetches for the panel, and the guarded fetch itself.

Links come from other participants, and the kernel sits on the viewer's network: fetching
whatever a message names would let anyone in the meeting make the kernel call cloud
metadata endpoints, intranet services or local ports. So the kernel fetches only from
origins the meeting itself vouches for:

- the meeting's REST origin (an rtk-widget server's file host lives there);
- the origins of the upload locations the meeting's ``chat-upload`` handed this participant,
  as they appear in its own image and file messages (RealtimeKit's upload host);
- origins the notebook adds with :meth:`MediaPolicy.trust`.

A replay of a past session has no meeting: its policy (``MediaPolicy(None)``) vouches only for
the origins it is told to trust, which ``ReplayWidget`` sets to its Chat Replay server's.

Only ``http``/``https``; every redirect hop is checked again before it is followed; a size
cap and an overall timeout bound each fetch. Anything else is refused before a request
leaves the kernel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx

from rtk_widget.client.errors import MessageNotFoundError, UploadError
from rtk_widget.client.messages import FileMessage, ImageMessage, Message

from ._errors import RequestError

if TYPE_CHECKING:
    from rtk_widget.client.meeting import Meeting

Origin = tuple[str, str, int]
"""(scheme, host, port) with the scheme's default port filled in."""

MEDIA_TIMEOUT_S = 60.0
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


class MediaRefusedError(RequestError):
    """A link the kernel will not fetch (not http(s), or an origin the meeting does not vouch for)."""

    def __init__(self, message: str) -> None:
        super().__init__("forbidden", message)


def origin_of(url: str) -> Origin | None:
    """The origin of an http(s) URL, or None for anything else (other schemes, no host, a bad port)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None


def attachment_name(messages: Iterable[Message], link: str) -> str | None:
    """The file name of the attachment at ``link`` among ``messages`` ("" for an image, the first
    found wins), None if none of them has it: the kernel fetches only links of the chat it shows."""
    for message in messages:
        if isinstance(message, FileMessage) and message.link == link:
            return message.name
        if isinstance(message, ImageMessage) and message.link == link:
            return ""
    return None


def _shown(url: str) -> str:
    return repr(url if len(url) <= 80 else url[:77] + "...")


class MediaPolicy:
    """The kernel's media fetches for one meeting (None: a replay, which has none): which origins,
    and the fetch with its limits."""

    def __init__(self, meeting: Meeting | None, *, timeout_s: float = MEDIA_TIMEOUT_S) -> None:
        self.meeting = meeting
        self.timeout_s = timeout_s
        self._trusted: set[Origin] = set()

    def trust(self, url: str) -> None:
        """Also fetch from ``url``'s origin (an http(s) URL or origin, e.g. your file host)."""
        origin = origin_of(url)
        if origin is None:
            raise ValueError(f"not an http(s) origin: {url!r}")
        self._trusted.add(origin)

    def origins(self) -> set[Origin]:
        """Every origin the kernel may fetch from now."""
        allowed = set(self._trusted)
        if self.meeting is None:
            return allowed
        api = origin_of(self.meeting.api_base)
        if api is not None:
            allowed.add(api)
        me = self.meeting.self.user_id
        for message in self.meeting.chat.messages:
            if message.user_id == me and isinstance(message, ImageMessage | FileMessage):
                own = origin_of(message.link)
                if own is not None:
                    allowed.add(own)
        return allowed

    def check(self, url: str) -> None:
        """Raise :class:`MediaRefusedError` unless the kernel may fetch ``url``."""
        origin = origin_of(url)
        if origin is None:
            raise MediaRefusedError(f"the kernel fetches only http(s) links; refused {_shown(url)}")
        if origin not in self.origins():
            raise MediaRefusedError(
                "the kernel fetches attachments only from the meeting's own file hosts; "
                f"refused {_shown(url)} (open it in the browser if you trust it)")

    async def fetch(self, link: str, max_bytes: int) -> tuple[bytes, str]:
        """Download ``link`` (at most ``max_bytes``) and return its bytes and type."""
        self.check(link)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._fetch(link, max_bytes)
        except TimeoutError:
            raise TimeoutError(f"fetching the attachment took longer than {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise UploadError(f"fetching the attachment failed: {exc}") from exc

    async def _fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        async with self._client(timeout=self.timeout_s, follow_redirects=False) as http:
            for _ in range(MAX_REDIRECTS + 1):
                self.check(url)
                # Credentials go only to the meeting's own origin, recomputed at every hop.
                async with http.stream("GET", url, headers=self._credentials_for(url)) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    return await _body(response, max_bytes)
        raise MediaRefusedError(f"the attachment redirects more than {MAX_REDIRECTS} times")

    def _client(self, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(**options) if self.meeting is None else self.meeting.http_client(**options)

    def _credentials_for(self, url: str) -> dict[str, str]:
        return {} if self.meeting is None else self.meeting.credentials_for(url)


async def _body(response: httpx.Response, max_bytes: int) -> tuple[bytes, str]:
    if response.status_code == 404:
        raise MessageNotFoundError("the attachment is gone (HTTP 404)")
    if response.status_code >= 300:
        raise UploadError(f"fetching the attachment failed: HTTP {response.status_code}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UploadError(f"the attachment is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise UploadError(f"the attachment is larger than {max_bytes} bytes")
        chunks.append(chunk)
    mime = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    return b"".join(chunks), mime
