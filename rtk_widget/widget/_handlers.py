"""Dispatch of the front end's requests.

``handle`` runs in the comm handler (the kernel's main thread) and never waits
on the network: reads of the feed and upload chunks are answered from memory
at once, everything that talks to the meeting is submitted to the client's
network loop and answered from there when it finishes. Every request with an
id gets exactly one reply (unless the front end cancelled it).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from rtk_widget.client.messages import Message

from . import _protocol as p
from ._errors import RequestError, error_payload
from ._feed import FeedLog
from ._own_sends import ExpectedMessage
from ._uploads import Uploads
from ._wire import to_wire

logger = logging.getLogger("rtk_widget")

MAX_PAGE = 500
"""Largest page the front end may ask for in one request."""
MAX_LOCAL_ID = 128
"""Longest ``localId`` a ``send`` may carry."""

Reply = Callable[[dict[str, Any], list[bytes]], None]
Submit = Callable[[Coroutine[Any, Any, Any]], "concurrent.futures.Future[Any]"]
Answer = tuple[dict[str, Any], list[bytes]]
"""A response and its binary buffers."""


class ChatPort(Protocol):
    """What the handlers need from the meeting (adapted from ``meeting.chat``)."""

    def send_text(self, text: str, to: list[str]) -> Awaitable[Message]:
        """Send a text message, privately when ``to`` lists user ids."""

    def send_image(self, data: bytes, name: str, mime: str, to: list[str]) -> Awaitable[Message]:
        """Upload and send an image."""

    def send_file(self, data: bytes, name: str, mime: str, to: list[str]) -> Awaitable[Message]:
        """Upload and send a file."""

    def edit_text(self, message_id: str, text: str) -> Awaitable[Message]:
        """Replace a text message's text."""

    def delete(self, message_id: str) -> Awaitable[None]:
        """Delete a message."""

    def pin(self, message_id: str) -> Awaitable[Message]:
        """Pin a message."""

    def unpin(self, message_id: str) -> Awaitable[Message]:
        """Unpin a message."""

    def fetch_media(self, link: str, max_bytes: int) -> Awaitable[tuple[bytes, str]]:
        """Download an attachment with the meeting's credentials: ``(bytes, mime)``."""

    def reconnect(self) -> Awaitable[None]:
        """Reconnect the meeting now."""

    def attachment_name(self, link: str) -> str | None:
        """The file name of the chat's attachment at ``link`` ("" for images), None if no message has it."""


class FeedAccess(Protocol):
    """The feed log, the lock guarding it, and the correlation of the panel's sends with deltas."""

    feed: FeedLog
    lock: threading.RLock

    def expect_send(self, local_id: str, expected: ExpectedMessage) -> None:
        """A send was submitted; its message's delta should carry ``local_id``."""

    def settle_send(self, local_id: str, message_id: str) -> None:
        """The send was acked with ``message_id``."""

    def forget_send(self, local_id: str) -> None:
        """The send failed or was cancelled."""


def _field(msg: dict[str, Any], name: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
    value = msg.get(name)
    if value is None and optional:
        return None
    # bool is an int subclass; a JSON true is never a valid count or index.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise RequestError("invalid", f"{name!r} must be {_names(kind)}, got {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


def _user_ids(msg: dict[str, Any]) -> list[str]:
    to = msg.get("to")
    if to is None:
        return []
    if not isinstance(to, list) or not all(isinstance(u, str) and u for u in to):
        raise RequestError("invalid", "'to' must be a list of user ids")
    return list(to)


class RequestHandlers:
    """Answers ``{kind, id, msg}`` requests; see ARCHITECTURE.md for the table."""

    def __init__(
        self, port: ChatPort, access: FeedAccess, reply: Reply, submit: Submit, max_upload_bytes: int
    ) -> None:
        self.port = port
        self.access = access
        self.reply = reply
        self.submit = submit
        self.uploads = Uploads(max_upload_bytes)
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
        except RequestError as exc:
            self._send_error(kind, request_id, exc)
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
        if kind == p.PAGE:
            self._respond(kind, request_id, self._page(msg))
        elif kind == p.PINNED:
            self._respond(kind, request_id, self._pinned())
        elif kind == p.CATCH_UP:
            self._respond(kind, request_id, self._catch_up(msg))
        elif kind == p.UPLOAD_CHUNK:
            self._respond(kind, request_id, self._upload_chunk(msg, buffers))
        elif kind == p.SEND:
            self._send(request_id, msg)
        elif kind == p.PING:
            self._respond(kind, request_id, {})
        elif kind == p.RECONNECT:
            self._run(kind, request_id, _empty_reply(self.port.reconnect()))
        else:
            self._run(kind, request_id, self._network_call(kind, msg))

    def _page(self, msg: dict[str, Any]) -> dict[str, Any]:
        limit = _field(msg, "limit", int)
        if not 1 <= limit <= MAX_PAGE:
            raise RequestError("invalid", f"'limit' must be between 1 and {MAX_PAGE}, got {limit}")
        # The key's presence picks the direction: `after: null` reads forwards from the oldest.
        forwards = "after" in msg
        if forwards and msg.get("before") is not None:
            raise RequestError("invalid", "give 'before' or 'after', not both")
        cursor = _field(msg, "after" if forwards else "before", int, optional=True)
        with self.access.lock:
            feed = self.access.feed
            page = feed.page_after(cursor, limit) if forwards else feed.page(cursor, limit)
            feed_seq = feed.feed_seq
        return {"messages": page.messages, "hasMore": page.has_more, "feedSeq": feed_seq}

    def _pinned(self) -> dict[str, Any]:
        with self.access.lock:
            return {"messages": self.access.feed.pinned(), "feedSeq": self.access.feed.feed_seq}

    def _catch_up(self, msg: dict[str, Any]) -> dict[str, Any]:
        after = _field(msg, "after", int)
        with self.access.lock:
            deltas = self.access.feed.since(after)
            feed_seq = self.access.feed.feed_seq
        if deltas is None:
            return {"reset": True}
        return {"deltas": deltas, "feedSeq": feed_seq}

    def _upload_chunk(self, msg: dict[str, Any], buffers: list[bytes]) -> dict[str, Any]:
        if len(buffers) != 1:
            raise RequestError("invalid", f"an upload chunk carries one buffer, got {len(buffers)}")
        received = self.uploads.add_chunk(
            _field(msg, "uploadId", str),
            index=_field(msg, "index", int),
            last=_field(msg, "last", bool),
            name=_field(msg, "name", str),
            mime=_field(msg, "mime", str),
            size=_field(msg, "size", int),
            chunk=bytes(buffers[0]),
        )
        return {"received": received}

    def _send(self, request_id: str, msg: dict[str, Any]) -> None:
        local_id = _field(msg, "localId", str, optional=True)
        if local_id is not None and not 0 < len(local_id) <= MAX_LOCAL_ID:
            raise RequestError("invalid", f"'localId' must be 1 to {MAX_LOCAL_ID} characters long")
        call, expected = self._send_call(msg)
        if local_id is not None:
            self.access.expect_send(local_id, expected)
        self._run(p.SEND, request_id, call, local_id)

    def _send_call(self, msg: dict[str, Any]) -> tuple[Coroutine[Any, Any, Answer], ExpectedMessage]:
        """Validate a send now and return its coroutine and what its message will look like."""
        to = _user_ids(msg)
        upload_id = _field(msg, "uploadId", str, optional=True)
        if upload_id is None:
            text = _field(msg, "text", str)
            return _message_reply(self.port.send_text(text, to)), ExpectedMessage("text", text=text)
        as_ = msg.get("as", "file")
        if as_ not in ("image", "file"):
            raise RequestError("invalid", f"'as' must be 'image' or 'file', got {as_!r}")
        upload = self.uploads.take(upload_id)
        if as_ == "image":
            call = self.port.send_image(upload.data(), upload.name, upload.mime, to)
            return _message_reply(call), ExpectedMessage("image")
        call = self.port.send_file(upload.data(), upload.name, upload.mime, to)
        return _message_reply(call), ExpectedMessage("file", name=upload.name)

    def _network_call(self, kind: str, msg: dict[str, Any]) -> Coroutine[Any, Any, Answer]:
        """Validate now (so bad input fails fast) and return the coroutine to run on the network loop."""
        port = self.port
        message_id = _field(msg, "messageId", str) if kind != p.MEDIA else ""
        if kind == p.EDIT:
            return _message_reply(port.edit_text(message_id, _field(msg, "text", str)))
        if kind == p.DELETE:
            return _empty_reply(port.delete(message_id))
        if kind == p.PIN:
            return _message_reply(port.pin(message_id))
        if kind == p.UNPIN:
            return _message_reply(port.unpin(message_id))
        return self._media(_field(msg, "link", str))

    def _media(self, link: str) -> Coroutine[Any, Any, Answer]:
        # Only links of messages in this chat: the kernel must not fetch arbitrary URLs for the page.
        with self.access.lock:
            message = self.access.feed.message_with_link(link)
        name = message.get("name", "") if message is not None else self.port.attachment_name(link)
        if name is None:
            raise RequestError("not_found", "no message in this chat has that attachment link")
        name = name or link.rsplit("/", 1)[-1].split("?", 1)[0]
        fetch = self.port.fetch_media(link, self.uploads.max_bytes)

        async def media() -> Answer:
            data, mime = await fetch
            return {"mime": mime, "name": name}, [data]

        return media()

    def _run(
        self, kind: str, request_id: str, coro: Coroutine[Any, Any, Answer], local_id: str | None = None
    ) -> None:
        future = self.submit(coro)
        with self._running_lock:
            self._running[request_id] = future

        def done(finished: concurrent.futures.Future[Answer]) -> None:
            with self._running_lock:
                if self._running.get(request_id) is finished:
                    del self._running[request_id]
            if finished.cancelled():
                if local_id is not None:
                    self.access.forget_send(local_id)
                return
            exc = finished.exception()
            if exc is not None:
                if local_id is not None:
                    self.access.forget_send(local_id)
                self._send_error(kind, request_id, exc)
                return
            response, buffers = finished.result()
            if local_id is None:
                self._respond(kind, request_id, response, buffers)
                return
            # Held across the reply, so a flush of the message's delta cannot slip in between.
            with self.access.lock:
                self.access.settle_send(local_id, response["message"]["id"])
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

    def _respond(
        self, kind: str, request_id: str, response: dict[str, Any], buffers: list[bytes] | None = None
    ) -> None:
        self.reply({"kind": p.response_kind(kind), "id": request_id, "response": response}, buffers or [])

    def _send_error(self, kind: str, request_id: str, exc: BaseException) -> None:
        payload = error_payload(exc)
        if payload["code"] == "internal":
            logger.error("rtk-widget: %s request failed", kind, exc_info=exc)
        self.reply({"kind": p.response_kind(kind), "id": request_id, "error": payload}, [])


async def _message_reply(call: Awaitable[Message]) -> Answer:
    return {"message": to_wire(await call)}, []


async def _empty_reply(call: Awaitable[None]) -> Answer:
    await call
    return {}, []
