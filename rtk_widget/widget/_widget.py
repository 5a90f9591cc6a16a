"""``ChatWidget``: the anywidget model of a meeting's chat panel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from rtk_widget.client.errors import NotJoinedError
from rtk_widget.client.meeting import Meeting
from rtk_widget.client.messages import Message

from . import _protocol as p
from ._bridge import Bridge, ChangeCallback, MessageCallback, Subscription
from ._handlers import RequestHandlers
from ._port import MeetingPort
from ._wire import order_of

if TYPE_CHECKING:
    from rtk_widget.client.uploads import FileSource

STATIC = Path(__file__).resolve().parent.parent / "static"


def _bundle(name: str) -> Path | str:
    path = STATIC / name
    # A Python-only checkout (no Node build) still imports; the panel then shows nothing.
    return path if path.exists() else ""


class ChatWidget(anywidget.AnyWidget):
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
        How the panel loads images and files: ``"kernel"`` fetches them
        through the kernel with the meeting's credentials (works when the
        browser cannot reach the meeting server: remote kernels, JupyterHub),
        ``"direct"`` lets the browser load the links, ``"auto"`` tries direct
        and falls back to the kernel.
    """

    _esm = _bundle("widget.js")
    _css = _bundle("widget.css")

    connection_state = traitlets.Unicode("idle", read_only=True).tag(sync=True)
    """The meeting's connection: idle, connecting, connected, reconnecting, disconnected or failed."""
    self_info = traitlets.Dict(allow_none=True, default_value=None, read_only=True).tag(sync=True)
    """This participant: ``{userId, displayName, permissions}``; permissions are
    ``{canPin, canSend, canSendFiles, canSendPrivate}``."""
    participants = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    """Everyone else in the meeting: ``[{userId, displayName}]``."""
    last_error = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    """The latest failure worth showing: ``{code, message, retryAfterMs?}`` or None."""
    limits = traitlets.Dict(read_only=True).tag(sync=True)
    """``{maxTextLength, maxUploadBytes}`` the panel checks before sending."""
    title = traitlets.Unicode("").tag(sync=True)
    """The panel's header."""
    media_mode = traitlets.Enum(("auto", "kernel", "direct"), default_value="auto").tag(sync=True)
    """How the panel loads attachments; see the class docstring."""

    messages: traitlets.List[Message] = traitlets.List(read_only=True)
    """Every message, oldest first; a new list on every change (Python only, never synced)."""
    pinned: traitlets.List[Message] = traitlets.List(read_only=True)
    """The pinned messages, oldest first; a new list on every change (Python only, never synced)."""

    def __init__(self, meeting: Meeting, *, media_mode: str = "auto", title: str | None = None) -> None:
        if not isinstance(meeting, Meeting):
            raise TypeError(f"ChatWidget needs a Meeting, got {type(meeting).__name__}")
        if not meeting.joined:
            raise NotJoinedError("join the meeting first (meeting.join()), then create the ChatWidget")
        super().__init__(media_mode=media_mode, title=title if title is not None else meeting.title or "Chat")
        self._meeting = meeting
        self._port = MeetingPort(meeting)
        self._bridge = Bridge(self, meeting)
        self._handlers = RequestHandlers(
            self._port,
            self._bridge,
            self._send_from_any_thread,
            self._port.submit,
            self._port.max_upload_bytes,
        )
        self.set_trait(
            "limits",
            {"maxTextLength": self._port.max_text_length, "maxUploadBytes": self._port.max_upload_bytes},
        )
        self.on_msg(self._on_custom_msg)
        self._bridge.start()

    @property
    def meeting(self) -> Meeting:
        """The meeting this panel shows."""
        return self._meeting

    def send_text(self, text: str, to: list[str] | None = None) -> Message:
        """Send a text message (privately to the given user ids) and return it once the server stored it."""
        return self._after(self._port.call(self._port.send_text(text, list(to or []))))

    def send_image(
        self, image: FileSource, to: list[str] | None = None, *, name: str | None = None
    ) -> Message:
        """Upload and send a JPEG, PNG or GIF image (a path, bytes with ``name=``, or a file object)."""
        return self._after(self._port.call(self._port.send_image_source(image, name, list(to or []))))

    def send_file(self, file: FileSource, to: list[str] | None = None, *, name: str | None = None) -> Message:
        """Upload and send a file (a path, bytes with ``name=``, or a file object)."""
        return self._after(self._port.call(self._port.send_file_source(file, name, list(to or []))))

    def edit_text(self, message_id: str, text: str) -> Message:
        """Replace the text of one of your text messages."""
        return self._after(self._port.call(self._port.edit_text(message_id, text)))

    def edit_image(self, message_id: str, image: FileSource, *, name: str | None = None) -> Message:
        """Replace the image of one of your image messages."""
        return self._after(self._port.call(self._port.edit_image_source(message_id, image, name)))

    def edit_file(self, message_id: str, file: FileSource, *, name: str | None = None) -> Message:
        """Replace the file of one of your file messages."""
        return self._after(self._port.call(self._port.edit_file_source(message_id, file, name)))

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

    def scroll_to(self, message_id: str) -> None:
        """Scroll every open view of the panel to a message."""
        # `messages`, not the feed: in Jupyter the feed learns of a message sent in this cell later.
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None:
            raise ValueError(f"no message with id {message_id!r} in this chat")
        # The order tells the panel whether to load history or to wait for the message's delta.
        self.send({"kind": p.SCROLL_TO, "messageId": message_id, "order": order_of(message)})

    def on_message(self, callback: MessageCallback) -> Subscription:
        """Call ``callback(message)`` for every new message; returns a handle whose call unsubscribes."""
        return self._bridge.subscribe_messages(callback)

    def on_change(self, callback: ChangeCallback) -> Subscription:
        """Call ``callback(event)`` for every change; returns an unsubscribe handle.

        ``event.action`` is "add", "edit" or "delete"; pins and unpins are edits
        whose ``event.message.pinned`` changed.
        """
        return self._bridge.subscribe_changes(callback)

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

        subscription = self.on_message(check)
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
        if "_bridge" in self.__dict__:
            self._bridge.stop()
            self._handlers.cancel_all()
        super().close()

    def _after(self, message: Message) -> Message:
        self._settle()
        return message

    def _settle(self) -> None:
        # The meeting queued its event before our call returned. In scripts, let the callback
        # thread apply it; in Jupyter it runs after this cell, so set the traits now.
        self._bridge.dispatcher.flush()
        self._bridge.sync_traits()

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list[bytes] | None) -> None:
        self._handlers.handle(content, buffers)

    def _send_from_any_thread(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        if self.comm is not None:
            self.send(content, buffers or None)

    def _repr_keys(self) -> Any:
        # ipywidgets' repr lists every non-default trait; messages can be huge.
        return (key for key in super()._repr_keys() if key not in ("messages", "pinned"))
