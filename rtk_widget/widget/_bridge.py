"""From the meeting's events to the widget: traits, the feed log, pushes and subscriptions.

The meeting delivers its events on the kernel's main thread inside Jupyter (on
its callback thread in scripts). Each chat event updates the feed log and
queues a delta; the push itself is scheduled behind the events already queued
on the same dispatcher, so a burst of messages leaves as one ``deltas``
message. Traits are re-read from the meeting, so they equal its state.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtk_widget.client.events import Dispatcher
from rtk_widget.client.messages import Message

from . import _protocol as p
from ._connection import connection_detail
from ._feed import FeedLog
from ._own_sends import ExpectedMessage, OwnSends
from ._wire import to_wire

if TYPE_CHECKING:
    from rtk_widget.client.chat_state import ChatUpdateEvent
    from rtk_widget.client.meeting import Meeting

    from ._widget import ChatWidget

logger = logging.getLogger("rtk_widget")

MessageCallback = Callable[[Message], object]
ChangeCallback = Callable[["ChatUpdateEvent"], object]


class Subscription:
    """A handle returned by ``on_message``/``on_change``: call it (or ``.unsubscribe()``) to stop."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def unsubscribe(self) -> None:
        """Stop the callbacks; calling it again does nothing."""
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __call__(self) -> None:
        self.unsubscribe()


class Bridge:
    """Keeps one widget in step with one meeting."""

    def __init__(self, widget: ChatWidget, meeting: Meeting) -> None:
        self.widget = widget
        self.meeting = meeting
        self.feed = FeedLog()
        self.lock = threading.RLock()
        # The meeting's own dispatcher: a flush queued here runs after the events queued before it.
        self.dispatcher: Dispatcher = meeting.dispatcher
        self._pending: list[p.Delta] = []
        self._pending_first = 0
        self._flush_scheduled = False
        self._message_callbacks: list[MessageCallback] = []
        self._change_callbacks: list[ChangeCallback] = []
        self._unlisten: list[Callable[[], None]] = []
        self._stopped = False
        self.own_sends = OwnSends()

    def start(self) -> None:
        """Load the meeting's messages and follow its events."""
        # Listen first, then read: a change racing with the read is then seen at least once.
        self._listen(self.meeting.chat, "chatUpdate", self._on_chat_event)
        with self.lock:
            self.feed.reset([to_wire(m) for m in self.meeting.chat.messages])
        self._listen(self.meeting.participants, "participantJoined", self._on_people)
        self._listen(self.meeting.participants, "participantLeft", self._on_people)
        self._listen(self.meeting, "socketConnectionUpdate", self._on_connection)
        self.sync_traits()
        self._sync_people()
        self.widget.set_trait("connection_detail", connection_detail(self.meeting))

    def stop(self) -> None:
        """Stop following the meeting."""
        self._stopped = True
        for unlisten in self._unlisten:
            unlisten()
        self._unlisten.clear()
        with self.lock:
            self._message_callbacks.clear()
            self._change_callbacks.clear()

    def sync_traits(self) -> None:
        """Set ``messages`` and ``pinned`` from the meeting (observers fire only on a change)."""
        messages = self.meeting.chat.messages  # already a fresh list
        with self.widget.hold_trait_notifications():
            self.widget.set_trait("messages", messages)
            self.widget.set_trait("pinned", [m for m in messages if m.pinned])

    def subscribe_messages(self, callback: MessageCallback) -> Subscription:
        """Call ``callback(message)`` for every new message."""
        return self._subscribe(self._message_callbacks, callback)

    def subscribe_changes(self, callback: ChangeCallback) -> Subscription:
        """Call ``callback(event)`` for every chat change."""
        return self._subscribe(self._change_callbacks, callback)

    def _subscribe(self, callbacks: list[Any], callback: Any) -> Subscription:
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        with self.lock:
            callbacks.append(callback)

        def remove() -> None:
            with self.lock:
                if callback in callbacks:
                    callbacks.remove(callback)

        return Subscription(remove)

    def _listen(self, source: Any, event: str, callback: Callable[[Any], object]) -> None:
        source.on(event, callback)
        self._unlisten.append(lambda: source.off(event, callback))

    def _on_chat_event(self, event: ChatUpdateEvent) -> None:
        if self._stopped:
            return
        with self.lock:
            if event.action == "delete":
                delta: p.Delta | None = self.feed.remove(event.message.id)
            else:
                delta = self.feed.upsert(self._wire_for(event))
            if delta is not None:
                if not self._pending:
                    self._pending_first = self.feed.feed_seq
                self._pending.append(delta)
            schedule = delta is not None and not self._flush_scheduled
            self._flush_scheduled = self._flush_scheduled or schedule
            message_callbacks = list(self._message_callbacks) if event.action == "add" else []
            change_callbacks = list(self._change_callbacks)
        if schedule:
            self.dispatcher.dispatch(self._flush, None)
        self._guard("messages observer", self.sync_traits)
        for on_message in message_callbacks:
            self._guard(f"on_message callback {on_message!r}", on_message, event.message)
        for on_change in change_callbacks:
            self._guard(f"on_change callback {on_change!r}", on_change, event)

    def _wire_for(self, event: ChatUpdateEvent) -> p.WireMessage:
        wire = to_wire(event.message)
        if event.action == "add" and event.message.user_id == self.meeting.self.user_id:
            local_id = self.own_sends.claim(wire)
            if local_id is not None:
                wire["localId"] = local_id
        return wire

    def expect_send(self, local_id: str, expected: ExpectedMessage) -> None:
        """A ``send`` from the panel was submitted; its message's delta should carry ``local_id``."""
        with self.lock:
            self.own_sends.expect(local_id, expected)

    def settle_send(self, local_id: str, message_id: str) -> None:
        """The send was acked with ``message_id`` (the handler holds ``lock`` and replies next)."""
        with self.lock:
            message = self.feed.get(message_id)
            if message is None:
                self.own_sends.acked_before_event(local_id, message_id)
                return
            self.own_sends.forget(local_id)
            # Its delta may still wait for the flush: tag it so the panel can correlate it either way.
            unflushed = any(d["op"] == "upsert" and d["message"] is message for d in self._pending)
            if unflushed and "localId" not in message:
                message["localId"] = local_id

    def forget_send(self, local_id: str) -> None:
        """The send failed or was cancelled."""
        with self.lock:
            self.own_sends.forget(local_id)

    def _flush(self, _: object = None) -> None:
        with self.lock:
            items, first = self._pending, self._pending_first
            self._pending = []
            self._flush_scheduled = False
            if items and not self._stopped:
                # Sent under the lock so pushes leave in feed order whatever thread flushes.
                self.widget._send_from_any_thread({"kind": p.DELTAS, "first": first, "items": items}, [])

    def _on_connection(self, update: object) -> None:
        if not self._stopped:
            self._guard("connection update", self._sync_connection, update)

    def _sync_connection(self, update: object) -> None:
        with self.widget.hold_sync():
            self._sync_people()
            self.widget.set_trait("connection_detail", connection_detail(self.meeting, update))

    def _on_people(self, _: object) -> None:
        if not self._stopped:
            self._guard("participants update", self._sync_people)

    def _sync_people(self) -> None:
        meeting = self.meeting
        me = meeting.self
        permissions = me.permissions
        self_info = {
            "userId": me.user_id,
            "displayName": me.name,
            "permissions": {
                "canPin": permissions.can_pin,
                "canSend": permissions.public_can_send and permissions.public_text,
                "canSendFiles": permissions.public_can_send and permissions.public_files,
                "canSendPrivate": permissions.private_can_send,
            },
        }
        people = [{"userId": peer.user_id, "displayName": peer.name} for peer in meeting.participants.joined]
        with self.widget.hold_sync():
            self.widget.set_trait("self_info", self_info)
            self.widget.set_trait("participants", people)
            self.widget.set_trait("connection_state", meeting.connection_state.value)

    def _guard(self, what: str, callback: Callable[..., object], *args: Any) -> None:
        """Run user-reachable code; a failure is logged, printed and shown in ``last_error``."""
        try:
            callback(*args)
        except Exception as exc:
            logger.exception("rtk-widget: %s failed", what)
            traceback.print_exc()
            message = f"{what} failed: {type(exc).__name__}: {exc}"
            self.widget.last_error = {"code": "internal", "message": message}
