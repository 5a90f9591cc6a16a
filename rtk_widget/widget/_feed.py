"""The widget's chat state: one service over the client's message store.

The meeting's store (``meeting.chat.state.store``) holds the messages; the feed
adds what the panel needs on top of it and owns all of it behind one lock:

- numbered changes (the feed sequence): every ``chatUpdate`` becomes one delta,
  kept in a bounded ring for ``catch-up`` and queued for the next push;
- the push itself, scheduled on the meeting's dispatcher behind the events
  already queued there, so a burst of messages leaves as one ``deltas`` message;
- the panel's own sends: the envelope id of each ``send`` maps to the panel's
  ``localId``, which rides on the delta of the message that answers it;
- ``widget.messages`` / ``widget.pinned``, set from the store's immutable views
  (constant time per change) so observers fire on every change;
- ``on_message`` / ``on_change`` subscriptions.

Pages are read from the store directly. The store may be ahead of the deltas
sent so far (events wait in the dispatcher); a page then already holds a change
whose delta follows, which the panel applies again harmlessly (upserts and
removals are idempotent), so it still converges to the meeting's state.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtk_widget.client.chat_history import MessageStore, MessagesView
from rtk_widget.client.chat_requests import MessagePage
from rtk_widget.client.events import Dispatcher, EventEmitter, EventSource
from rtk_widget.client.messages import Message

from ._protocol import DELTAS, Delta, DeltasPush, WireMessage
from ._subscriptions import Subscribers, Subscription
from ._wire import to_wire

if TYPE_CHECKING:
    from rtk_widget.client.chat_state import ChatUpdateEvent

DEFAULT_RING_SIZE = 1024
"""Recent deltas kept for ``catch-up``; an older gap is answered with a reset."""
MAX_OWN_SENDS = 256
"""Panel sends awaited at once; one forgotten early only loses its ``localId`` echo."""

MessageCallback = Callable[[Message], object]
ChangeCallback = Callable[["ChatUpdateEvent"], object]
Push = Callable[[DeltasPush], None]
Show = Callable[[MessagesView, MessagesView], None]
Report = Callable[[str, Exception], None]


class ChatFeed:
    """The panel's view of one meeting's chat: pages, numbered deltas, own sends, traits.

    Parameters
    ----------
    store, events, dispatcher:
        The meeting's message store, the source of its ``chatUpdate`` events
        (``meeting.chat``) and the dispatcher those events run on.
    push:
        Sends a ``deltas`` push to the front end (from the dispatcher's thread).
    show:
        Sets ``widget.messages`` and ``widget.pinned`` from two views.
    report:
        Shows a failure of user code (a subscriber) without stopping the feed.
    """

    def __init__(
        self,
        store: MessageStore,
        events: EventSource | EventEmitter,
        dispatcher: Dispatcher,
        *,
        push: Push,
        show: Show,
        report: Report,
        ring_size: int = DEFAULT_RING_SIZE,
    ) -> None:
        if ring_size < 1:
            raise ValueError(f"ring_size must be at least 1, got {ring_size}")
        self.store = store
        self._events = events
        self.dispatcher = dispatcher
        self._push = push
        self._show = show
        self._report = report
        self._lock = threading.Lock()
        self._seq = 0
        self._ring: deque[Delta] = deque(maxlen=ring_size)
        self._pending: list[Delta] = []
        self._own_sends: dict[str, str] = {}
        self._stopped = False
        self._new_message_callbacks = Subscribers[Message]()
        self._change_callbacks = Subscribers["ChatUpdateEvent"]()

    # ----- life -----

    def start(self) -> None:
        """Follow the chat's events and show its messages."""
        self._events.on("chatUpdate", self._on_chat_event)
        self.show_now()

    def stop(self) -> None:
        """Stop following the chat; later events are ignored."""
        self._stopped = True
        self._events.off("chatUpdate", self._on_chat_event)
        self._new_message_callbacks.clear()
        self._change_callbacks.clear()

    def show_now(self) -> None:
        """Set the traits from the store as it is now (observers fire only on a change)."""
        self._show(self.store.view(), self.store.pinned_view())

    def settle(self) -> None:
        """After a call from a cell: let queued events run (scripts), then show the store.

        The meeting queued its event before the call returned; inside Jupyter that event
        runs after the cell, so the traits are set from the store now.
        """
        self.dispatcher.flush()
        self.show_now()

    def replace_store(self, store: MessageStore) -> None:
        """Show ``store`` from now on, and have the panel reload rather than follow a delta per
        message (a replay jumping far). Changes queued before are still numbered and pushed first."""
        self.store = store
        self.dispatcher.dispatch(self._restart_numbering, None)
        self.show_now()

    def _restart_numbering(self, _: object = None) -> None:
        self._flush()
        with self._lock:
            # Past the panel's feedSeq + 1, with no deltas kept for the gap: its catch-up gets a
            # reset, and it reloads the newest page and the pinned list from the new store.
            self._seq += 2
            self._ring.clear()
            first = self._seq
        if not self._stopped:
            self._push({"kind": DELTAS, "first": first, "items": []})

    # ----- reading, for the request handlers -----

    @property
    def feed_seq(self) -> int:
        """The number of the latest delta (0 before any change)."""
        with self._lock:
            return self._seq

    def page_before(self, before: int | None, limit: int) -> tuple[list[WireMessage], bool, int]:
        """Up to ``limit`` messages before ``before`` (None: the newest): messages, has more, feed seq."""
        with self._lock:
            seq = self._seq
        return (*_wire_page(self.store.page_before(before, limit)), seq)

    def page_after(self, after: int | None, limit: int) -> tuple[list[WireMessage], bool, int]:
        """Up to ``limit`` messages after ``after`` (None: the oldest): messages, has more, feed seq."""
        with self._lock:
            seq = self._seq
        return (*_wire_page(self.store.page_after(after, limit)), seq)

    def pinned(self) -> tuple[list[WireMessage], int]:
        """Every pinned message, oldest first, and the feed seq."""
        with self._lock:
            seq = self._seq
        return [to_wire(m) for m in self.store.pinned_view()], seq

    def since(self, after: int) -> tuple[list[Delta], int] | None:
        """The deltas numbered after ``after`` and the feed seq, or None if they are gone."""
        with self._lock:
            if after == self._seq:
                return [], self._seq
            oldest = self._seq - len(self._ring) + 1
            if after > self._seq or after + 1 < oldest:
                return None
            return list(self._ring)[after + 1 - oldest :], self._seq

    # ----- the panel's sends -----

    def expect_send(self, envelope_id: str, local_id: str) -> None:
        """A panel send with ``local_id`` goes out as ``envelope_id``; its delta will carry ``local_id``."""
        with self._lock:
            self._own_sends[envelope_id] = local_id
            while len(self._own_sends) > MAX_OWN_SENDS:
                del self._own_sends[next(iter(self._own_sends))]

    def forget_send(self, envelope_id: str) -> None:
        """The send failed or was cancelled."""
        with self._lock:
            self._own_sends.pop(envelope_id, None)

    # ----- subscriptions -----

    def subscribe_messages(self, callback: Callable[[Message], object]) -> Subscription:
        """Call ``callback(message)`` for every new message."""
        return self._new_message_callbacks.add(callback)

    def subscribe_changes(self, callback: Callable[[ChatUpdateEvent], object]) -> Subscription:
        """Call ``callback(event)`` for every chat change."""
        return self._change_callbacks.add(callback)

    # ----- events (on the dispatcher) -----

    def _on_chat_event(self, event: ChatUpdateEvent) -> None:
        if self._stopped:
            return
        delta = self._delta_for(event)
        with self._lock:
            self._seq += 1
            self._ring.append(delta)
            self._pending.append(delta)
            schedule = len(self._pending) == 1
        if schedule:
            self.dispatcher.dispatch(self._flush, None)
        self._guard("messages observer", self.show_now)
        if event.action == "add":
            for on_message in self._new_message_callbacks.snapshot():
                self._guard(f"on_message callback {on_message!r}", on_message, event.message)
        for on_change in self._change_callbacks.snapshot():
            self._guard(f"on_change callback {on_change!r}", on_change, event)

    def _delta_for(self, event: ChatUpdateEvent) -> Delta:
        if event.action == "delete":
            return {"op": "remove", "id": event.message.id}
        wire = to_wire(event.message)
        if event.envelope_id is not None:
            with self._lock:
                local_id = self._own_sends.pop(event.envelope_id, None)
            if local_id is not None:
                wire["localId"] = local_id
        return {"op": "upsert", "message": wire}

    def _flush(self, _: object = None) -> None:
        # Runs only on the dispatcher, one at a time, so pushes leave in feed order.
        with self._lock:
            items, self._pending = self._pending, []
            first = self._seq - len(items) + 1
        if items and not self._stopped:
            self._push({"kind": DELTAS, "first": first, "items": items})

    def _guard(self, what: str, callback: Callable[..., object], *args: Any) -> None:
        try:
            callback(*args)
        except Exception as exc:
            self._report(what, exc)


def _wire_page(page: MessagePage) -> tuple[list[WireMessage], bool]:
    return [to_wire(m) for m in page.messages], page.has_more
