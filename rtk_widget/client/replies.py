"""A bot is one function: ``on_message(fn)`` where whatever ``fn`` returns is sent as the reply.

Text is sent as text; a matplotlib figure, a PIL image or anything with
``_repr_png_`` as an image; a pandas DataFrame as a CSV file; ``None`` sends
nothing. A reply goes to the message's audience: everyone for a public message,
the sender (and the other recipients) for a private one. Messages from this
participant are skipped unless asked for, and a handler never sees the replies it
sent itself, so a reply bot cannot answer itself in a loop.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Literal

from rtk_widget.client.messages import Message
from rtk_widget.client.sources import is_dataframe, is_image_object

ReplyKind = Literal["text", "image", "file"]
MessageHandler = Callable[[Message], object]
SendReply = Callable[[ReplyKind, object, Message], Message]
"""Sends a reply of that kind with that value to the message's audience; returns the sent message."""
SendReplyAsync = Callable[[ReplyKind, object, Message, str], Awaitable[Message]]
""":data:`SendReply` awaited on the meeting's loop, under the given envelope id (known before the send)."""

MAX_REMEMBERED_REPLIES = 1024


def reply_kind(value: object) -> ReplyKind:
    """How a handler's return value is sent; ``TypeError`` for a value that is none of them."""
    if isinstance(value, str):
        return "text"
    if is_dataframe(value):
        return "file"
    if is_image_object(value):
        return "image"
    raise TypeError("an on_message handler may return text, a matplotlib Figure, a PIL Image, an object "
                    f"with _repr_png_, a pandas DataFrame or None; it returned {type(value).__name__}")


def reply_audience(message: Message, own_user_id: str) -> list[str]:
    """User ids a reply to ``message`` goes to ([] = everyone)."""
    if not message.is_private:
        return []
    audience = [message.user_id, *message.target_user_ids]
    return [user_id for user_id in dict.fromkeys(audience) if user_id != own_user_id]


class ReplyingHandler:
    """Wraps a user's ``fn`` for ``on_message``: filters, calls, and sends what it returns.

    Exceptions (from ``fn`` or from sending its reply) propagate to the caller, which
    shows them; the subscription itself stays.
    """

    def __init__(self, fn: MessageHandler, *, own_user_id: Callable[[], str], include_own: bool,
                 send: SendReply) -> None:
        if not callable(fn):
            raise TypeError(f"on_message needs a function, got {type(fn).__name__}")
        self.fn = fn
        self._own_user_id = own_user_id
        self._include_own = include_own
        self._send = send
        self._lock = threading.Lock()
        self._sent: dict[str, None] = {}  # ids of this handler's replies, oldest first

    def __repr__(self) -> str:
        # Error messages name the user's function, not this wrapper or a memory address.
        name = getattr(self.fn, "__qualname__", None)
        return f"{name.rsplit('<locals>.', 1)[-1]}()" if isinstance(name, str) else repr(self.fn)

    def __call__(self, message: Message) -> None:
        if not self._wants(message):
            return
        value = self.fn(message)
        if value is None:
            return
        reply = self._send(reply_kind(value), value, message)
        self._remember(reply.id)

    async def call_async(self, message: Message, send: SendReplyAsync, envelope_id: str) -> None:
        """:meth:`__call__` for a meeting on the program's loop: ``fn`` may be a coroutine function,
        and the reply is awaited. Its envelope id is remembered before it is sent, so the reply's
        own event, which can come before the send returns, is never answered."""
        if not self._wants(message):
            return
        value = self.fn(message)
        if inspect.isawaitable(value):
            value = await value
        if value is None:
            return
        kind = reply_kind(value)
        self._remember(envelope_id)
        self._remember((await send(kind, value, message, envelope_id)).id)

    def _wants(self, message: Message) -> bool:
        with self._lock:
            own_reply = message.id in self._sent or message.envelope_id in self._sent
        return not own_reply and (self._include_own or message.user_id != self._own_user_id())

    def _remember(self, sent_id: str) -> None:
        with self._lock:
            self._sent[sent_id] = None
            while len(self._sent) > MAX_REMEMBERED_REPLIES:
                del self._sent[next(iter(self._sent))]
