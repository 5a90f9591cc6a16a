"""``ReplayWidget``: a past session's chat in the same panel, read-only, revealed in order.

The panel is the live one with the composer hidden and replay controls instead (play/pause,
speed, a scrubber showing the session time). It sits on the same feed service as the live
panel (``ChatFeed``), over a store of its own that holds the messages revealed so far: revealing
one is an "add" on the feed, going back removes them, so the front end needs nothing new to show
them. The reveal position (how many messages, in chat order) is a synced trait either side may
set; the clock that advances it while playing runs in the kernel, so every open view of the
widget shows the same moment and Python can drive it without a browser.

Requests go through the live panel's handlers in their read-only form: pages of the feed, and
attachments fetched through the kernel under the replay's media policy (``_replay_media``);
writes are refused.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import traitlets

from rtk_widget.client.chat_history import MessageStore
from rtk_widget.client.chat_state import ChatUpdateEvent
from rtk_widget.client.events import EventEmitter, default_dispatcher
from rtk_widget.client.messages import Message

from ._feed import ChatFeed
from ._handlers import ReadRequestHandlers
from ._panel import ChatPanel
from ._protocol import ReplayState
from ._replay_media import ReplayMedia, replay_server_url
from ._replay_source import replay_messages

MAX_PAUSE_S = 2.0
"""While playing, a silence in the session lasts at most this long (real seconds, at any speed)."""
MIN_SPEED, MAX_SPEED = 0.1, 100.0
RELOAD_AFTER = 200
"""A move that reveals or hides more messages than this makes the panel reload instead of taking
a delta per message (dragging across a long session)."""
READ_ONLY = "this is a replay of a past session: it is read-only"


class ReplayWidget(ChatPanel):
    """A past session's chat in the chat panel, read-only, with play/pause, speed and a scrubber.

    ``source`` is what the session's chat is in: messages (a list, ``widget.messages``, a
    :class:`~rtk_widget.cloudflare.SessionChat`), a pandas DataFrame
    (:func:`~rtk_widget.client.export.to_dataframe`'s columns, or a Chat Replay CSV read with
    pandas), or a Chat Replay CSV as a path, its text, its download URL, the SDK's
    ``get_session_chat`` answer or a ``meeting.chatSynced`` event.
    :meth:`from_session` fetches a session's chat through Cloudflare's SDK.

    :attr:`messages` holds the messages revealed so far (what the panel shows), :attr:`session`
    all of them. It opens with everything revealed unless ``position`` says otherwise;
    :meth:`play` from the end starts again from the first message. Requests that would change
    the chat (send, edit, delete, pin, upload) are refused as ``forbidden``.

    Images and files are fetched through the kernel, as the live panel does, and only from the
    replay's own server (the origin of the Chat Replay URL it was read from) or origins added
    with :meth:`trust_media_origin`; a replay read from a file or a DataFrame has none at first.
    """

    connection_state = traitlets.Unicode("replay", read_only=True).tag(sync=True)
    """Always ``"replay"``: nothing is connected."""
    media_mode = traitlets.Unicode("kernel", read_only=True).tag(sync=True)
    """Attachments are fetched through the kernel, under the replay's media policy."""
    replay = traitlets.Dict(read_only=True).tag(sync=True)
    """``{count, start_ms, end_ms, at_ms}``: the session's size and time span, and the time of the
    latest revealed message."""
    replay_position = traitlets.Int(0).tag(sync=True)
    """How many messages are revealed, in chat order; set it (or call :meth:`seek`) to move."""
    replay_playing = traitlets.Bool(False).tag(sync=True)
    """True while the kernel reveals messages on the session's clock (:meth:`play`, :meth:`pause`)."""
    replay_speed = traitlets.Float(1.0).tag(sync=True)
    """How many times faster than the session it plays (silences last at most
    :data:`MAX_PAUSE_S` seconds at any speed)."""


    def __init__(
        self,
        source: object,
        *,
        title: str | None = None,
        height: str | int = "480px",
        position: int | datetime | timedelta | None = None,
        speed: float = 1.0,
    ) -> None:
        session = replay_messages(source, api="ReplayWidget()")
        server_url = replay_server_url(source)
        super().__init__(title=_title(session) if title is None else title, height=height)
        self._session: tuple[Message, ...] = tuple(session)
        self._times = [m.time_ms for m in session]
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        # The opening position is in the store before the panel asks for pages: no deltas for it.
        self._shown = len(session) if position is None else self._index_of(position)
        dispatcher = default_dispatcher()
        self._events = EventEmitter(dispatcher)
        self._feed = ChatFeed(_store_of(session[: self._shown]), self._events, dispatcher, push=self._push,
                              show=self._show_messages, report=self._report_failure)
        self._state(self._shown)
        self.replay_position = self._shown
        self.replay_speed = speed
        self._media = ReplayMedia(self._session, server_url)
        self._handlers = ReadRequestHandlers(self._media, self._feed, self._send_from_any_thread,
                                             refusal=READ_ONLY)
        self.on_msg(self._on_custom_msg)
        self._feed.start()
        self.observe(self._on_position, "replay_position")
        self.observe(self._on_playing, "replay_playing")
        self.observe(self._on_speed, "replay_speed")

    @classmethod
    def from_session(cls, session_id: str, *, title: str | None = None, height: str | int = "480px",
                     **where: Any) -> ReplayWidget:
        """The replay of a RealtimeKit session's chat, fetched with
        :func:`~rtk_widget.cloudflare.session_chat` (``where``: its ``client``, ``account_id``,
        ``app_id``, ``base_url``; needs ``rtk-widget[cloudflare]``)."""
        from rtk_widget.cloudflare.replay import session_chat

        return cls(session_chat(session_id, **where), title=title, height=height)

    # ----- the session and the reveal -----

    @property
    def session(self) -> tuple[Message, ...]:
        """Every message of the session, in chat order."""
        return self._session

    @property
    def position_time(self) -> datetime | None:
        """The time of the latest revealed message (None when none is)."""
        return self._session[self.replay_position - 1].time if self.replay_position else None

    def play(self, speed: float | None = None) -> None:
        """Reveal the next messages on the session's clock (``speed`` times faster); from the end,
        start again from the first message."""
        if speed is not None:
            self.replay_speed = speed
        if not self.replay_playing and self.replay_position >= len(self._session):
            # Start over before the clock runs, so the rewind is told before any step after it.
            self.replay_position = 0
        self.replay_playing = True

    def pause(self) -> None:
        """Stop revealing; the panel keeps what it shows."""
        self.replay_playing = False

    def seek(self, to: int | datetime | timedelta) -> None:
        """Show the session up to ``to``: a number of messages (0 to ``len(session)``), a moment
        (every message at or before it) or a time since the first message."""
        self.replay_position = self._index_of(to)
        self._feed.settle()

    def trust_media_origin(self, url: str) -> None:
        """Let the kernel also fetch the replay's attachments from ``url``'s origin (e.g. the
        upload host of the meeting); by default only the replay's own server's are fetched."""
        self._media.policy.trust(url)

    def to_pandas(self) -> Any:
        """The whole session as a pandas DataFrame, one row per message."""
        from rtk_widget.client.export import to_dataframe

        return to_dataframe(self._session)

    def close(self) -> None:
        """Stop playing and close the panel."""
        if "_handlers" in self.__dict__:
            self._stop_timer()
            self._feed.stop()
            self._handlers.cancel_all()
        super().close()

    def _index_of(self, to: object) -> int:
        if isinstance(to, bool) or not isinstance(to, int | datetime | timedelta):
            raise TypeError(f"ReplayWidget.seek() takes a message count, a datetime or a timedelta, "
                            f"not {type(to).__name__}")
        if isinstance(to, int):
            if not 0 <= to <= len(self._session):
                count = len(self._session)
                raise ValueError(f"ReplayWidget.seek(): the session has {count} messages, got {to}")
            return to
        if isinstance(to, timedelta):
            start = self._times[0] if self._times else 0
            return bisect.bisect_right(self._times, start + round(to.total_seconds() * 1000))
        if to.tzinfo is None:
            raise ValueError("ReplayWidget.seek(): give the datetime a time zone (messages are in UTC)")
        # Chat order is by time for a replay (CSV messages have no sequence numbers), so this bisects.
        return bisect.bisect_right(self._times, round(to.timestamp() * 1000))

    @traitlets.validate("replay_position")
    def _check_position(self, proposal: dict[str, Any]) -> int:
        # The front end may send anything; it gets the nearest position there is.
        return min(max(int(proposal["value"]), 0), len(self._session))

    @traitlets.validate("replay_speed")
    def _check_speed(self, proposal: dict[str, Any]) -> float:
        speed = float(proposal["value"])
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"replay speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
        return speed

    def _on_position(self, _change: dict[str, Any]) -> None:
        self._reveal()
        if self.replay_playing:
            self._schedule()

    def _reveal(self) -> None:
        with self._lock:
            # The trait as it is now, not as the change said: a clock step and a seek from another
            # thread may both have set it, and what is shown must match what it says last.
            count = self.replay_position
            shown, self._shown = self._shown, count
            store = self._feed.store
            if abs(count - shown) > RELOAD_AFTER:
                self._feed.replace_store(_store_of(self._session[:count]))
            elif count > shown:
                for message in self._session[shown:count]:
                    store.apply(message)
                    self._events.emit("chatUpdate", ChatUpdateEvent("add", message, store))
            elif count < shown:
                # A store remembers deletions (so a late copy cannot revive a message); going back
                # starts a fresh one holding the earlier messages, and the panel gets the removals.
                fresh = _store_of(self._session[:count])
                self._feed.store = fresh
                for message in reversed(self._session[count:shown]):
                    self._events.emit("chatUpdate", ChatUpdateEvent("delete", message, fresh))
            self._state(count)
        self._feed.show_now()

    def _state(self, count: int) -> None:
        times = self._times
        start, end = (times[0], times[-1]) if times else (0, 0)
        state: ReplayState = {"count": len(times), "start_ms": start, "end_ms": end,
                              "at_ms": times[count - 1] if count else start}
        self.set_trait("replay", dict(state))

    # ----- the clock -----

    def _on_playing(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            self._stop_timer()
            return
        if self.replay_position >= len(self._session):
            self.replay_position = 0  # from the end: start over
        self._schedule()  # an empty session stops playing at once

    def _on_speed(self, _change: dict[str, Any]) -> None:
        if self.replay_playing:
            self._schedule()

    def _schedule(self) -> None:
        self._stop_timer()
        with self._lock:
            position = self._shown
            if position >= len(self._session):
                self.replay_playing = False
                return
            gap_ms = self._times[position] - self._times[position - 1] if position else 0
            delay = min(max(gap_ms, 0) / 1000 / self.replay_speed, MAX_PAUSE_S)
            timer = threading.Timer(delay, self._feed.dispatcher.dispatch, (self._step, position))
            timer.daemon = True
            self._timer = timer
        timer.start()

    def _step(self, expected: int) -> None:
        # On the dispatcher (the kernel's thread in Jupyter); a seek since the timer started wins.
        with self._lock:
            if self.replay_playing and self._shown == expected:
                self.replay_position = expected + 1

    def _stop_timer(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def __repr__(self) -> str:
        if "_session" not in self.__dict__:
            return "<ReplayWidget (not set up)>"
        state = "playing" if self.replay_playing else "paused"
        return (f"<ReplayWidget {self.title!r}: {self.replay_position} of {len(self._session)} "
                f"messages shown, {state}>")


def _store_of(messages: Sequence[Message]) -> MessageStore:
    store = MessageStore()
    for message in messages:
        store.apply(message)
    return store


def _title(session: Sequence[Message]) -> str:
    if not session:
        return "Past session (no messages)"
    return f"Past session, {session[0].time:%Y-%m-%d %H:%M} UTC"
