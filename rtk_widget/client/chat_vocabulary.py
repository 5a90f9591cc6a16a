"""``meeting.chat.on_message``: the widget's bot vocabulary on the client (see :mod:`.replies`).

A reply to a private message goes to its sender and other recipients by user id, which
rtk-widget servers accept in ``peer_ids``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from rtk_widget.client.messages import Message
from rtk_widget.client.replies import MessageHandler, ReplyingHandler, ReplyKind, reply_audience

logger = logging.getLogger("rtk_widget")


class _Chat(Protocol):
    """What the mixin needs from :class:`~rtk_widget.client.chat.Chat`."""

    def on(self, event: str, callback: Callable[[Any], object]) -> Callable[[Any], object]: ...
    def off(self, event: str, callback: Callable[[Any], object] | None = None) -> None: ...
    def _require_session(self) -> Any: ...
    def send_text_message(self, text: str, peer_ids: Any = None) -> Message: ...
    def send_image_message(self, image: Any, peer_ids: Any = None, *, name: str | None = None) -> Message: ...
    def send_file_message(self, file: Any, peer_ids: Any = None, *, name: str | None = None) -> Message: ...


class ChatVocabulary:
    """``on_message(fn, include_own=False)`` for ``meeting.chat``, with the widget's semantics."""

    def on_message(self: _Chat, fn: MessageHandler, *, include_own: bool = False) -> Callable[[], None]:
        """Call ``fn(message)`` for every new message from others; returns a function that unsubscribes.

        What ``fn`` returns is sent as the reply (text, a figure or image, a DataFrame as CSV;
        ``None`` sends nothing). An exception in ``fn`` is logged and its traceback printed; the
        subscription stays. ``include_own=True`` also passes your own messages, never the replies
        ``fn`` sent itself.
        """
        chat = self

        def own_user_id() -> str:
            return str(chat._require_session().me.user_id)

        def send(kind: ReplyKind, value: object, message: Message) -> Message:
            audience = reply_audience(message, own_user_id()) or None
            if kind == "text":
                return chat.send_text_message(str(value), audience)
            if kind == "image":
                return chat.send_image_message(value, audience)
            return chat.send_file_message(value, audience)

        handler = ReplyingHandler(fn, own_user_id=own_user_id, include_own=include_own, send=send)

        def deliver(message: Message) -> None:
            try:
                handler(message)
            except Exception:
                logger.exception("rtk-widget: on_message handler %r failed", handler)
                traceback.print_exc()

        self.on("newMessage", deliver)
        return lambda: chat.off("newMessage", deliver)
