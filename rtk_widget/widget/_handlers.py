"""Dispatch of the front end's requests: :class:`ReadRequestHandlers` answers what a read-only
panel (a replay) may ask, reads of the feed and ``media``; :class:`RequestHandlers` adds the
writes of a live meeting.

``handle`` runs in the comm handler (the kernel's main thread) and never waits
on the network: reads of the feed and upload chunks are answered from memory
at once, everything that talks to the meeting is submitted to the client's
network loop and answered from there when it finishes. Every request with an
id gets exactly one reply (unless the front end cancelled it). Each ``msg`` is
checked against its declaration in ``_protocol.py`` first (``_parse.py``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast

from rtk_widget.client.messages import Message

from . import _protocol as p
from ._errors import RequestError, error_payload
from ._parse import parse
from ._uploads import Uploads
from ._wire import to_wire

if TYPE_CHECKING:
    from ._feed import ChatFeed
    from ._port import MeetingPort

logger = logging.getLogger("rtk_widget")

MAX_PAGE = 500
"""Largest page the front end may ask for in one request."""
MAX_LOCAL_ID = 128
"""Longest ``localId`` a ``send`` may carry."""

T = TypeVar("T")

Reply = Callable[[dict[str, Any], list[bytes]], None]
Answer = tuple[dict[str, Any], list[bytes]]
"""A response and its binary buffers."""


READ_KINDS: Final[frozenset[str]] = frozenset({p.PAGE, p.PINNED, p.CATCH_UP, p.PING})
"""Requests answered from the feed alone, at once (a read-only replay answers these and ``media``)."""


def answer_read(feed: ChatFeed, kind: str, msg: dict[str, Any]) -> Any:
    """The response to a request of a kind in :data:`READ_KINDS`, read from ``feed``."""
    if kind == p.PAGE:
        return _page(feed, parse(p.PageRequest, msg))
    if kind == p.CATCH_UP:
        return _catch_up(feed, parse(p.CatchUpRequest, msg))
    if kind == p.PINNED:
        messages, feed_seq = feed.pinned()
        return {"messages": messages, "feedSeq": feed_seq}
    return {}


def _page(feed: ChatFeed, request: p.PageRequest) -> p.PageResponse:
    limit = request["limit"]
    if not 1 <= limit <= MAX_PAGE:
        raise RequestError("invalid", f"'limit' must be between 1 and {MAX_PAGE}, got {limit}")
    # The key's presence picks the direction: `after: null` reads forwards from the oldest.
    if "after" in request:
        if request.get("before") is not None:
            raise RequestError("invalid", "give 'before' or 'after', not both")
        messages, has_more, feed_seq = feed.page_after(request["after"], limit)
    else:
        messages, has_more, feed_seq = feed.page_before(request.get("before"), limit)
    return {"messages": messages, "hasMore": has_more, "feedSeq": feed_seq}


def _catch_up(feed: ChatFeed, request: p.CatchUpRequest) -> p.CatchUpResponse:
    caught_up = feed.since(request["after"])
    if caught_up is None:
        return {"reset": True}
    deltas, feed_seq = caught_up
    return {"deltas": deltas, "feedSeq": feed_seq}


class MediaPort(Protocol):
    """What reads and ``media`` requests need of a chat (a :class:`MeetingPort`, or a replay's)."""

    max_upload_bytes: int
    """The largest attachment fetched."""

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the network loop without waiting."""
        ...

    def attachment_name(self, link: str) -> str | None:
        """The file name of the chat's attachment at ``link`` ("" for images), None if no message has it."""
        ...

    async def fetch_media(self, link: str, max_bytes: int) -> tuple[bytes, str]:
        """The attachment's bytes and type, fetched under the chat's media policy."""
        ...


class ReadRequestHandlers:
    """Answers ``{kind, id, msg}`` requests (``_protocol.REQUESTS``) that read: pages of the feed
    and ``media``; any other is refused as ``forbidden``, saying ``refusal`` and the kind."""

    def __init__(
        self, port: MediaPort, feed: ChatFeed, reply: Reply, *, refusal: str = "this panel is read-only"
    ) -> None:
        self.port = port
        self.feed = feed
        self.reply = reply
        self.refusal = refusal
        self._running: dict[str, concurrent.futures.Future[Any]] = {}
        self._running_lock = threading.Lock()

    def handle(self, content: Any, buffers: list[bytes] | None = None) -> None:
        """Handle one comm message; foreign kinds and malformed envelopes are ignored."""
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        msg = content.get("msg")
        if kind not in p.REQUEST_KINDS or not isinstance(msg, dict):
            return
        if kind == p.CANCEL:
            self._cancel(msg)
            return
        request_id = content.get("id")
        if not isinstance(request_id, str):
            return
        try:
            self._dispatch(kind, request_id, msg, list(buffers or []))
        except Exception as exc:
            self._send_error(kind, request_id, exc)

    def running(self) -> int:
        """How many network requests are in flight."""
        with self._running_lock:
            return len(self._running)

    def cancel_all(self) -> None:
        """Cancel every request in flight (the widget is closing)."""
        with self._running_lock:
            futures = list(self._running.values())
            self._running.clear()
        for future in futures:
            future.cancel()

    def _dispatch(self, kind: str, request_id: str, msg: dict[str, Any], buffers: list[bytes]) -> None:
        if kind in READ_KINDS:
            self._respond(kind, request_id, answer_read(self.feed, kind, msg))
        elif kind == p.MEDIA:
            self._run(kind, request_id, self._media(parse(p.MediaRequest, msg)["link"]))
        else:
            self._write(kind, request_id, msg, buffers)

    def _write(self, kind: str, request_id: str, msg: dict[str, Any], buffers: list[bytes]) -> None:
        raise RequestError("forbidden", f"{self.refusal} ({kind} is not possible)")

    def _media(self, link: str) -> Coroutine[Any, Any, Answer]:
        # Only links of messages in this chat: the kernel must not fetch arbitrary URLs for the page.
        name = self.port.attachment_name(link)
        if name is None:
            raise RequestError("not_found", "no message in this chat has that attachment link")
        name = name or link.rsplit("/", 1)[-1].split("?", 1)[0]
        fetch = self.port.fetch_media(link, self.port.max_upload_bytes)

        async def media() -> Answer:
            data, mime = await fetch
            return {"mime": mime, "name": name}, [data]

        return media()

    def _run(
        self, kind: str, request_id: str, coro: Coroutine[Any, Any, Answer], envelope_id: str | None = None
    ) -> None:
        future = self.port.submit(coro)
        with self._running_lock:
            self._running[request_id] = future

        def done(finished: concurrent.futures.Future[Answer]) -> None:
            with self._running_lock:
                if self._running.get(request_id) is finished:
                    del self._running[request_id]
            failed = finished.cancelled() or finished.exception() is not None
            if failed and envelope_id is not None:
                self.feed.forget_send(envelope_id)
            if finished.cancelled():
                return
            exc = finished.exception()
            if exc is not None:
                self._send_error(kind, request_id, exc)
                return
            response, buffers = finished.result()
            self._respond(kind, request_id, response, buffers)

        future.add_done_callback(done)

    def _cancel(self, msg: dict[str, Any]) -> None:
        target = msg.get("targetId")
        if not isinstance(target, str):
            return
        with self._running_lock:
            future = self._running.pop(target, None)
        if future is not None:
            future.cancel()

    def _respond(self, kind: str, request_id: str, response: Any, buffers: list[bytes] | None = None) -> None:
        reply = {"kind": p.response_kind(kind), "id": request_id, "response": cast(dict[str, Any], response)}
        self.reply(reply, buffers or [])

    def _send_error(self, kind: str, request_id: str, exc: BaseException) -> None:
        payload = error_payload(exc)
        if payload["code"] == "internal":
            logger.error("rtk-widget: %s request failed", kind, exc_info=exc)
        self.reply({"kind": p.response_kind(kind), "id": request_id, "error": payload}, [])


class RequestHandlers(ReadRequestHandlers):
    """Answers every request of a live meeting's panel; see ``_protocol.REQUESTS`` for the table."""

    port: MeetingPort

    def __init__(self, port: MeetingPort, feed: ChatFeed, reply: Reply) -> None:
        super().__init__(port, feed, reply)
        self.uploads = Uploads(port.max_upload_bytes)

    def _write(self, kind: str, request_id: str, msg: dict[str, Any], buffers: list[bytes]) -> None:
        if kind == p.UPLOAD_CHUNK:
            self._respond(kind, request_id, self._upload_chunk(parse(p.UploadChunkRequest, msg), buffers))
        elif kind == p.SEND:
            self._send(request_id, parse(p.SendRequest, msg))
        elif kind == p.RECONNECT:
            self._run(kind, request_id, _empty_reply(self.port.reconnect()))
        elif kind == p.EDIT:
            edit = parse(p.EditRequest, msg)
            self._run(kind, request_id, _message_reply(self.port.edit_text(edit["messageId"], edit["text"])))
        else:
            self._run(kind, request_id, self._message_call(kind, parse(p.MessageIdRequest, msg)["messageId"]))

    def _upload_chunk(self, request: p.UploadChunkRequest, buffers: list[bytes]) -> p.UploadChunkResponse:
        if len(buffers) != 1:
            raise RequestError("invalid", f"an upload chunk carries one buffer, got {len(buffers)}")
        received = self.uploads.add_chunk(
            request["uploadId"],
            index=request["index"],
            last=request["last"],
            name=request["name"],
            mime=request["mime"],
            size=request["size"],
            chunk=bytes(buffers[0]),
        )
        return {"received": received}

    def _send(self, request_id: str, request: p.SendRequest) -> None:
        local_id = request.get("localId")
        if local_id is not None and not 0 < len(local_id) <= MAX_LOCAL_ID:
            raise RequestError("invalid", f"'localId' must be 1 to {MAX_LOCAL_ID} characters long")
        to = request.get("to", [])
        if not all(to):
            raise RequestError("invalid", "'to' must be a list of user ids")
        envelope_id = self.port.new_envelope_id()
        call = self._send_call(request, to, envelope_id)
        if local_id is not None:
            self.feed.expect_send(envelope_id, local_id)
        self._run(p.SEND, request_id, _message_reply(call), envelope_id if local_id is not None else None)

    def _send_call(self, request: p.SendRequest, to: list[str], envelope_id: str) -> Awaitable[Message]:
        """Check a send now (so bad input fails fast) and return its call."""
        upload_id = request.get("uploadId")
        if upload_id is None:
            if "text" not in request:
                raise RequestError("invalid", "a send needs 'text' or 'uploadId'")
            return self.port.send_text(request["text"], to, envelope_id)
        upload = self.uploads.take(upload_id)
        if request.get("as", "file") == "image":
            return self.port.send_image(upload.data(), upload.name, to, envelope_id)
        return self.port.send_file(upload.data(), upload.name, to, envelope_id)

    def _message_call(self, kind: str, message_id: str) -> Coroutine[Any, Any, Answer]:
        if kind == p.DELETE:
            return _empty_reply(self.port.delete(message_id))
        return _message_reply(self.port.pin(message_id) if kind == p.PIN else self.port.unpin(message_id))


async def _message_reply(call: Awaitable[Message]) -> Answer:
    return {"message": to_wire(await call)}, []


async def _empty_reply(call: Awaitable[None]) -> Answer:
    await call
    return {}, []
