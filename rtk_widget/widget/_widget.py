"""``ChatWidget``: the anywidget model of a meeting's chat panel."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from typing import Any

import traitlets

from rtk_widget.client.errors import NotJoinedError
from rtk_widget.client.meeting import Meeting
from rtk_widget.client.messages import Message
from rtk_widget.client.replies import ReplyingHandler, ReplyKind, reply_audience
from rtk_widget.client.sources import Caller, file_upload, image_upload

from . import _protocol as p
from ._addressing import Recipients, resolve_recipients
from ._feed import ChangeCallback, ChatFeed, MessageCallback
from ._handlers import RequestHandlers
from ._media_origins import MediaOriginsTrait
from ._panel import ChatPanel
from ._people import PeopleTraits
from ._port import MeetingPort
from ._side import Anchor, open_side
from ._subscriptions import Subscription
from ._wire import order_of

WIDGET = Caller("ChatWidget.send_image()", "ChatWidget.send_file()")
WIDGET_EDIT = Caller("ChatWidget.edit_image()", "ChatWidget.edit_file()")


class ChatWidget(ChatPanel):
    """A live chat panel for a joined :class:`~rtk_widget.Meeting`.

    Python owns the chat: :attr:`messages` and :attr:`pinned` always hold the
    meeting's messages (observe them, or subscribe with :meth:`on_message` and
    :meth:`on_change`), and every method is a plain call that returns once the
    meeting server answered, without waiting for the browser. The panel pulls
    pages of history on demand and receives numbered deltas, so a long chat
    never travels whole over the comm, and no message content is saved in the
    notebook.

    Parameters
    ----------
    meeting:
        A joined meeting, e.g. ``Meeting.local(display_name="Ada")``.
    media_mode:
        How the panel loads images and files. ``"auto"`` (the default): the
        browser loads a link itself only when its origin is one the meeting
        vouches for (:attr:`trusted_media_origins`), falling back to the kernel
        if that fails; any other link goes through the kernel, which refuses
        it, so no participant can make your browser or your kernel contact a
        host of their choosing. ``"kernel"`` fetches every attachment through
        the kernel with the meeting's credentials (works when the browser
        cannot reach the meeting server: remote kernels, JupyterHub), from the
        same origins only. ``"direct"`` lets the browser load every http(s)
        link a message names: only for meetings whose participants you trust.
    """

    connection_state = traitlets.Unicode("idle", read_only=True).tag(sync=True)
    """The meeting's connection: idle, connecting, connected, reconnecting, disconnected or failed."""
    self_info = traitlets.Dict(allow_none=True, default_value=None, read_only=True).tag(sync=True)
    """This participant: ``{user_id, display_name, permissions}``; permissions are
    ``{can_pin, can_send, can_send_files, can_send_private}``."""
    participants = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    """Everyone else in the meeting: ``[{user_id, display_name}]``."""
    limits = traitlets.Dict(read_only=True).tag(sync=True)
    """``{max_text_length, max_upload_bytes}`` the panel checks before sending."""
    connection_detail = traitlets.Dict(read_only=True).tag(sync=True)
    """``{state, attempt, next_attempt_at (epoch ms or None), reason (str or None)}``: what the
    status line says while reconnecting or after a failure."""
    media_mode = traitlets.Enum(("auto", "kernel", "direct"), default_value="auto").tag(sync=True)
    """How the panel loads attachments; see the class docstring."""
    trusted_media_origins = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    """The origins (``scheme://host:port``) attachments are loaded from: the meeting's REST and file
    host, the upload host of your own uploads and those added with :meth:`trust_media_origin`."""

    def __init__(
        self,
        meeting: Meeting,
        *,
        media_mode: str = "auto",
        title: str | None = None,
        height: str | int = "480px",
    ) -> None:
        if not isinstance(meeting, Meeting):
            raise TypeError(f"ChatWidget needs a Meeting, got {type(meeting).__name__}")
        if not meeting.joined:
            raise NotJoinedError("join the meeting first (meeting.join()), then create the ChatWidget")
        title = title if title is not None else meeting.title or "Chat"
        super().__init__(media_mode=media_mode, title=title, height=height)
        self._meeting = meeting
        self._port = MeetingPort(meeting)
        self._feed = ChatFeed(
            meeting.chat.state.store,
            meeting.chat,
            meeting.dispatcher,
            push=self._push,
            show=self._show_messages,
            report=self._report_failure,
        )
        self._people = PeopleTraits(meeting, self._set_synced, self._report_failure)
        self._media_origins = MediaOriginsTrait(self._port.media, lambda: meeting.self.user_id,
                                                self._set_synced, self._report_failure)
        self._media_origins.sync()
        self._feed.subscribe_changes(self._media_origins.on_change)
        self._handlers = RequestHandlers(self._port, self._feed, self._send_from_any_thread)
        self.set_trait(
            "limits",
            {"max_text_length": self._port.max_text_length, "max_upload_bytes": self._port.max_upload_bytes},
        )
        self.on_msg(self._on_custom_msg)
        self._feed.start()
        self._people.start()

    @property
    def meeting(self) -> Meeting:
        """The meeting this panel shows."""
        return self._meeting

    def send_text(self, text: str, to: Recipients = None) -> Message:
        """Send a text message and return it once the server stored it.

        ``to`` makes it private: participants, user ids or display names, or one of them alone.
        """
        recipients = self._recipients(to, "send_text")
        return self._after(self._port.call(self._port.send_text(text, recipients)))

    def send_image(self, image: object, to: Recipients = None, *, name: str | None = None) -> Message:
        """Upload and send an image: a path, bytes, a file object, a matplotlib Figure, a PIL Image
        or anything with ``_repr_png_``/``_repr_jpeg_``; JPEG, PNG or GIF (PIL images are converted).

        The input, its type and its size are checked before anything is uploaded.
        """
        upload = image_upload(image, name, caller=WIDGET, max_bytes=self._port.max_upload_bytes)
        recipients = self._recipients(to, "send_image")
        sent = self._port.send_image_source(upload.as_source(), None, recipients)
        return self._after(self._port.call(sent))

    def send_file(self, file: object, to: Recipients = None, *, name: str | None = None) -> Message:
        """Upload and send a file: a path, bytes or a file object (with ``name=`` when it has none),
        text with ``name=`` (the text is the content), a pandas DataFrame (CSV; ``name="x.json"``,
        ``.tsv``, ``.parquet`` or ``.xlsx`` for other formats), or any image :meth:`send_image` takes.

        A ``str`` is a path when that file exists; otherwise, with ``name=``, it is the content.
        """
        upload = file_upload(file, name, caller=WIDGET, max_bytes=self._port.max_upload_bytes)
        recipients = self._recipients(to, "send_file")
        sent = self._port.send_file_source(upload.as_source(), None, recipients)
        return self._after(self._port.call(sent))

    def edit_text(self, message_id: str, text: str) -> Message:
        """Replace the text of one of your text messages."""
        return self._after(self._port.call(self._port.edit_text(message_id, text)))

    def edit_image(self, message_id: str, image: object, *, name: str | None = None) -> Message:
        """Replace the image of one of your image messages (takes what :meth:`send_image` takes)."""
        upload = image_upload(image, name, caller=WIDGET_EDIT, max_bytes=self._port.max_upload_bytes)
        edited = self._port.edit_image_source(message_id, upload.as_source(), None)
        return self._after(self._port.call(edited))

    def edit_file(self, message_id: str, file: object, *, name: str | None = None) -> Message:
        """Replace the file of one of your file messages (takes what :meth:`send_file` takes)."""
        upload = file_upload(file, name, caller=WIDGET_EDIT, max_bytes=self._port.max_upload_bytes)
        edited = self._port.edit_file_source(message_id, upload.as_source(), None)
        return self._after(self._port.call(edited))

    def delete(self, message_id: str) -> None:
        """Delete a message."""
        self._port.call(self._port.delete(message_id))
        self._settle()

    def pin(self, message_id: str) -> Message:
        """Pin a message (needs a preset that allows pinning)."""
        return self._after(self._port.call(self._port.pin(message_id)))

    def unpin(self, message_id: str) -> Message:
        """Unpin a message."""
        return self._after(self._port.call(self._port.unpin(message_id)))

    def open_side(self, title: str | None = None, anchor: Anchor = "right") -> Any:
        """Also show the panel in JupyterLab's right side area (or ``anchor="split-right"``:
        beside the notebook), where it stays while you scroll; needs ``sidecar``
        (``rtk-widget[lab]``). Returns the ``sidecar.Sidecar``; ``.close()`` removes it."""
        return open_side(self, title=title, anchor=anchor)

    def scroll_to(self, message_id: str) -> None:
        """Scroll every open view of the panel to a message."""
        # `messages`, not the feed: in Jupyter the feed learns of a message sent in this cell later.
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None:
            raise ValueError(f"no message with id {message_id!r} in this chat")
        # The order tells the panel whether to load history or to wait for the message's delta.
        self.send({"kind": p.SCROLL_TO, "messageId": message_id, "order": order_of(message)})

    def trust_media_origin(self, url: str) -> None:
        """Also load attachments from ``url``'s origin (e.g. your organisation's file host): the
        kernel fetches from it, and in ``auto`` mode the browser loads its links itself. By default
        only the meeting's own hosts are trusted (see :attr:`trusted_media_origins`)."""
        self._port.media.trust(url)
        self._media_origins.sync()

    def on_message(self, fn: MessageCallback, *, include_own: bool = False) -> Subscription:
        """Call ``fn(message)`` for every new message from others; returns a handle whose call unsubscribes.

        What ``fn`` returns is sent as the reply (to the message's audience): text as text, a
        figure or image as an image, a DataFrame as a CSV file; ``None`` sends nothing. An
        exception in ``fn`` is printed, logged and put in :attr:`last_error`, and the
        subscription stays. ``include_own=True`` also passes your own messages (never the
        replies ``fn`` itself sent, so a reply bot cannot loop).
        """
        handler = ReplyingHandler(fn, own_user_id=lambda: self._meeting.self.user_id,
                                  include_own=include_own, send=self._send_reply)
        return self._feed.subscribe_messages(handler)

    def on_change(self, callback: ChangeCallback) -> Subscription:
        """Call ``callback(event)`` for every change; returns an unsubscribe handle.

        ``event.action`` is "add", "edit" or "delete"; pins and unpins are edits
        whose ``event.message.pinned`` changed.
        """
        return self._feed.subscribe_changes(callback)

    async def next_message(
        self,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 30.0,  # noqa: ASYNC109 - a keyword reads better in a notebook than asyncio.timeout()
    ) -> Message:
        """Wait for the next new message (matching ``predicate``); for async cells and coroutines.

        Subscribe before triggering what you wait for: send and ``await`` in one cell.
        Raises :class:`TimeoutError` after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[Message] = loop.create_future()

        def settle(message: Message | None, error: Exception | None) -> None:
            if arrived.done():
                return
            if error is not None:
                arrived.set_exception(error)
            else:
                arrived.set_result(message)  # type: ignore[arg-type]

        def check(message: Message) -> None:
            try:
                matched = predicate is None or predicate(message)
            except Exception as exc:
                loop.call_soon_threadsafe(settle, None, exc)
                return
            if matched:
                loop.call_soon_threadsafe(settle, message, None)

        subscription = self.on_message(check, include_own=True)
        try:
            return await asyncio.wait_for(arrived, timeout)
        except TimeoutError:
            raise TimeoutError(f"no matching message within {timeout} s") from None
        finally:
            subscription.unsubscribe()

    def to_pandas(self) -> Any:
        """The messages as a pandas DataFrame, one row per message."""
        from rtk_widget.client.export import to_dataframe

        return to_dataframe(self.messages)

    def close(self) -> None:
        """Stop following the meeting and close the panel (the meeting stays joined)."""
        # Also reached from __del__ of an instance whose __init__ failed (e.g. a bad keyword).
        if "_handlers" in self.__dict__:
            self._feed.stop()
            self._people.stop()
            self._handlers.cancel_all()
        super().close()

    def _recipients(self, to: object, method: str) -> list[str]:
        return resolve_recipients(to, self._meeting.participants.joined, self._meeting.self,
                                  api=f"ChatWidget.{method}()")

    def _send_reply(self, kind: ReplyKind, value: object, message: Message) -> Message:
        joined = {p.user_id for p in self._meeting.participants.joined}
        audience = [u for u in reply_audience(message, self._meeting.self.user_id) if u in joined]
        if message.is_private and not audience:
            raise ValueError(f"cannot reply privately: {message.display_name} left the meeting")
        if kind == "text":
            return self.send_text(str(value), audience)
        if kind == "image":
            return self.send_image(value, audience)
        return self.send_file(value, audience)

    def _after(self, message: Message) -> Message:
        self._settle()
        return message

    def _settle(self) -> None:
        self._feed.settle()

    def _set_synced(self, values: dict[str, Any]) -> None:
        with self.hold_sync():
            for name, value in values.items():
                self.set_trait(name, value)

    def _report_failure(self, what: str, exc: Exception) -> None:
        """Show a failure in user-reachable code (a bot callback): printed in the notebook too."""
        traceback.print_exception(exc)
        super()._report_failure(what, exc)

    def __repr__(self) -> str:
        if "_meeting" not in self.__dict__:  # __init__ did not finish
            return "<ChatWidget (not set up)>"
        me = self._meeting.self.name if self._meeting.joined else "left"
        count = len(self.messages)
        return (f"<ChatWidget {self.title!r}: {me}, {count} message{'' if count == 1 else 's'}, "
                f"{self.connection_state}>")
