"""``meeting.chat.on_message``: the widget's bot vocabulary on the client (see :mod:`.replies`).

A reply to a private message goes to its sender and other recipients by user id, which
rtk-widget servers accept in ``peer_ids``.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from rtk_widget.client.messages import Message
from rtk_widget.client.replies import MessageHandler, ReplyingHandler, ReplyKind, reply_audience
from rtk_widget.client.runtime import Runtime

logger = logging.getLogger("rtk_widget")


class _Chat(Protocol):
    """What the mixin needs from :class:`~rtk_widget.client.chat.Chat`."""

    _runtime: Runtime

    def on(self, event: str, callback: Callable[[Any], object]) -> Callable[[Any], object]: ...
    def off(self, event: str, callback: Callable[[Any], object] | None = None) -> None: ...
    def _require_session(self) -> Any: ...
    def new_envelope_id(self) -> str: ...
    def send_text_message(self, text: str, peer_ids: Any = None) -> Message: ...
    def send_image_message(self, image: Any, peer_ids: Any = None, *, name: str | None = None) -> Message: ...
    def send_file_message(self, file: Any, peer_ids: Any = None, *, name: str | None = None) -> Message: ...
    def send_text_message_async(self, text: str, peer_ids: Any = None, *,
                                envelope_id: str | None = None) -> Awaitable[Message]: ...
    def send_image_message_async(self, image: Any, peer_ids: Any = None, *, name: str | None = None,
                                 envelope_id: str | None = None) -> Awaitable[Message]: ...
    def send_file_message_async(self, file: Any, peer_ids: Any = None, *, name: str | None = None,
                                envelope_id: str | None = None) -> Awaitable[Message]: ...


class ChatVocabulary:
    """``on_message(fn, include_own=False)`` for ``meeting.chat``, with the widget's semantics."""

    def on_message(self: _Chat, fn: MessageHandler, *, include_own: bool = False) -> Callable[[], None]:
        """Call ``fn(message)`` for every new message from others; returns a function that unsubscribes.

        What ``fn`` returns is sent as the reply (text, a figure or image, a DataFrame as CSV;
        ``None`` sends nothing). An exception in ``fn`` is logged and its traceback printed; the
        subscription stays. ``include_own=True`` also passes your own messages, never the replies
        ``fn`` sent itself.

        On a meeting attached to the program's loop (``Meeting(loop=...)``) ``fn`` runs on that
        loop and may be a coroutine function; its reply is awaited in a task, not blocked on.
        """
        chat = self
        runtime = chat._runtime
        replying: set[asyncio.Task[None]] = set()

        def own_user_id() -> str:
            return str(chat._require_session().me.user_id)

        def send(kind: ReplyKind, value: object, message: Message) -> Message:
            audience = reply_audience(message, own_user_id()) or None
            if kind == "text":
                return chat.send_text_message(str(value), audience)
            if kind == "image":
                return chat.send_image_message(value, audience)
            return chat.send_file_message(value, audience)

        async def send_async(kind: ReplyKind, value: object, message: Message, envelope_id: str) -> Message:
            audience = reply_audience(message, own_user_id()) or None
            if kind == "text":
                return await chat.send_text_message_async(str(value), audience, envelope_id=envelope_id)
            if kind == "image":
                return await chat.send_image_message_async(value, audience, envelope_id=envelope_id)
            return await chat.send_file_message_async(value, audience, envelope_id=envelope_id)

        handler = ReplyingHandler(fn, own_user_id=own_user_id, include_own=include_own, send=send)

        def failed() -> None:
            logger.exception("rtk-widget: on_message handler %r failed", handler)
            traceback.print_exc()

        async def reply_on_loop(message: Message) -> None:
            try:
                await handler.call_async(message, send_async, chat.new_envelope_id())
            except Exception:
                failed()

        def deliver(message: Message) -> None:
            if runtime.attached and runtime.in_runtime_thread():  # blocking here would stall the loop
                task = asyncio.get_running_loop().create_task(reply_on_loop(message))
                replying.add(task)
                task.add_done_callback(replying.discard)
                return
            try:
                handler(message)
            except Exception:
                failed()

        self.on("newMessage", deliver)
        return lambda: chat.off("newMessage", deliver)
