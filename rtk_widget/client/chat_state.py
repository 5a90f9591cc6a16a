"""Applying the server's chat frames to the store, catching up, and raising chat events.

Pushes, replies and catch-up answers all go through here on the network loop.
On rtk-widget servers a revision past ``last_rev + 1`` (or a reconnect) triggers
``SYNC_CHANGES`` from ``last_rev``, looped while ``more``; RealtimeKit has no sync,
so after a reconnect the public history after the newest known time is re-fetched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rtk_widget.client.chat_history import MessageStore
from rtk_widget.client.connection import Connection
from rtk_widget.client.errors import ChatError, RequestTimeoutError
from rtk_widget.client.events import EventEmitter
from rtk_widget.client.messages import Message, from_proto
from rtk_widget.wire import chat_pb2 as pb
from rtk_widget.wire.envelope import Frame, MalformedFrameError, parse_payload
from rtk_widget.wire.events import Event
from rtk_widget.wire.sync_pb2 import SyncRequest, SyncResponse

logger = logging.getLogger("rtk_widget")

SYNC_PAGE = 500
REFETCH_PAGE = 100


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class ChatUpdateEvent:
    """Payload of ``chatUpdate``: ``action`` is "add", "edit" or "delete".

    ``messages`` is the chat's message list when the callback reads it.
    ``envelope_id`` is set on the "add" of a message this client sent: the id of
    the send's request (``message.envelope_id`` too). Supports
    ``event["message"]`` too, like the SDK's destructured payload.
    """

    action: Literal["add", "edit", "delete"]
    message: Message
    _store: MessageStore = field(repr=False, compare=False)

    @property
    def envelope_id(self) -> str | None:
        """The request id of this client's send that this "add" answers, else None."""
        return self.message.envelope_id if self.action == "add" else None

    @property
    def messages(self) -> list[Message]:
        """Every message of the chat, in order (``chat.messages``)."""
        return self._store.messages()

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass(frozen=True, slots=True)
class PinEvent:
    """Payload of ``pinMessage`` and ``unpinMessage``."""

    message: Message

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


class ChatState:
    """The chat's store plus the logic that keeps it equal to the server's state."""

    def __init__(self, emitter: EventEmitter) -> None:
        self.store = MessageStore()
        self.emitter = emitter
        self.connection: Connection | None = None
        self.sync_supported = True
        self.own_user_id = ""
        # RealtimeKit does not echo the request id on the push to the sender, and that push
        # is the send's only answer: own sends are then matched by content, oldest first,
        # (payload_type, payload) -> request ids. The one content match in the project.
        self._awaiting_echo: dict[tuple[int, str], list[str]] = {}
        self.extra_counterparts: Callable[[], Iterable[str]] = tuple
        """More user ids to re-fetch private messages with (the meeting sets: joined participants)."""
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_again = False

    # ----- applying -----

    def apply_message(self, message: Message, *, emit: bool = True) -> None:
        """Insert or update one message and raise the events for what changed."""
        outcome = self.store.apply(message)
        if outcome is None or not emit:
            return
        change, previous = outcome
        if previous is not None and message.envelope_id is None and previous.envelope_id is not None:
            message = replace(message, envelope_id=previous.envelope_id)  # as the store keeps it
        self.emitter.emit("chatUpdate", ChatUpdateEvent(change, message, self.store))
        if change == "add":
            self.emitter.emit("newMessage", message)
        elif previous is not None and previous.pinned != message.pinned:
            self.emitter.emit("pinMessage" if message.pinned else "unpinMessage", PinEvent(message))

    def apply_delete(self, chat_id: str, *, emit: bool = True) -> None:
        """Apply a deletion (with a tombstone, so a late copy cannot bring it back)."""
        removed = self.store.remove(chat_id)
        if removed is not None and emit:
            self.emitter.emit("chatUpdate", ChatUpdateEvent("delete", removed, self.store))

    def handle_push(self, frame: Frame) -> None:
        """Apply a chat frame (push or reply) from the socket."""
        event = frame.event
        try:
            if event in (Event.SEND_MESSAGE_TO_ROOM, Event.SEND_MESSAGE_TO_PEERS, Event.EDIT_MESSAGE):
                wrapper = parse_payload(pb.SendChatMessageToRoomResponse, frame.payload)
                if not wrapper.HasField("message"):
                    return
                proto = wrapper.message
                own_send = event != Event.EDIT_MESSAGE and proto.user_id == self.own_user_id
                message = from_proto(proto, envelope_id=frame.id if own_send else None)
                if own_send and frame.id is None and not self.sync_supported:
                    message = replace(message, envelope_id=self._echoed_send(frame, message))
                self.apply_message(message)
                self._note_rev(message.rev)
            elif event == Event.DELETE_MESSAGE:
                deleted = parse_payload(pb.DeleteChatMessageResponse, frame.payload)
                self.apply_delete(deleted.chat_id)
                self._note_rev(deleted.rev or None)
            elif event == Event.PIN_MESSAGE:
                pin = parse_payload(pb.PinChatMessageResponse, frame.payload)
                if pin.HasField("message"):
                    message = from_proto(pin.message)
                    self.apply_message(message)
                    self._note_rev(message.rev)
        except MalformedFrameError:
            logger.warning("rtk-widget: ignored a malformed chat frame on event %s", event)

    def _echoed_send(self, frame: Frame, message: Message) -> str | None:
        """On RealtimeKit, the request id of our send that ``message`` (our own, pushed without
        an id) answers, matched by content; the send is answered with ``frame``."""
        if self.connection is None:
            return None
        waiting = self._awaiting_echo.get((message.payload_type, message.payload))
        while waiting:
            request_id = waiting.pop(0)
            if self.connection.resolve(request_id, frame):
                return request_id
        return None

    def await_echo(self, request_id: str, payload_type: int, payload: str) -> Callable[[], None]:
        """On RealtimeKit, let the push of this send answer it; returns the undo for when it settled."""
        if self.sync_supported:
            return _nothing
        key = (payload_type, payload)
        self._awaiting_echo.setdefault(key, []).append(request_id)

        def forget() -> None:
            waiting = self._awaiting_echo.get(key)
            if waiting and request_id in waiting:
                waiting.remove(request_id)
            if not waiting:
                self._awaiting_echo.pop(key, None)

        return forget

    # ----- catching up -----

    def _note_rev(self, rev: int | None) -> None:
        if self.sync_supported and self.store.note_rev(rev):
            self.request_sync()

    def request_sync(self) -> None:
        """Start a catch-up in the background (coalesced with one already running)."""
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_again = True
            return
        self._sync_task = asyncio.get_running_loop().create_task(self._background_sync())

    async def _background_sync(self) -> None:
        self._sync_again = True
        while self._sync_again:
            self._sync_again = False
            before = self.store.last_rev
            try:
                gap = await self.sync(internal=False)
            except ChatError as exc:
                logger.info("rtk-widget: catch-up failed (%s); retrying on the next change", exc)
                return
            # A gap that survives an answer that made progress is worth another round.
            self._sync_again = self._sync_again or (gap and self.store.last_rev > before)

    async def sync(self, *, internal: bool, emit: bool = True) -> bool:
        """``SYNC_CHANGES`` from ``last_rev`` until ``more`` is false; True if a gap remains.

        The next page is asked for (after the revision this one covers) before this one is
        applied, so the server reads it while this side applies: a long catch-up is not a
        ping-pong in which each side waits for the other."""
        answer = await self._sync_page(self.store.last_rev, internal)
        while True:
            following = asyncio.ensure_future(self._sync_page(answer.rev, internal)) if answer.more else None
            try:
                if following is not None:
                    await asyncio.sleep(0)  # let it write its request before this page is applied
                for proto in answer.messages:
                    self.apply_message(from_proto(proto), emit=emit)
                for chat_id in answer.deleted_ids:
                    self.apply_delete(chat_id, emit=emit)
                gap = self.store.cover(answer.rev)
            except BaseException:
                if following is not None:
                    following.cancel()
                raise
            if following is None:
                return gap
            answer = await following

    async def _sync_page(self, after_rev: int, internal: bool) -> SyncResponse:
        assert self.connection is not None
        request = SyncRequest(after_rev=after_rev, limit=SYNC_PAGE)
        frame = await self.connection.request(Event.SYNC_CHANGES, request.SerializeToString(),
                                              internal=internal)
        return parse_payload(SyncResponse, frame.payload)

    async def load_history(self, *, reconnected: bool) -> None:
        """Fill the store when (re)joining: sync on rtk-widget servers, else getMessages / re-fetch."""
        assert self.connection is not None
        if self.sync_supported:
            try:
                await self.sync(internal=True, emit=reconnected)
            except RequestTimeoutError:
                raise
            except ChatError:
                # A server without our extension refuses SYNC_CHANGES: fall back to RealtimeKit's way.
                self.sync_supported = False
            else:
                return
        if not reconnected:
            frame = await self.connection.request(Event.GET_MESSAGES, internal=True)
            history = parse_payload(pb.GetChatMessagesResponse, frame.payload)
            for proto in history.messages:
                self.apply_message(from_proto(proto), emit=False)
            return
        since = self.store.latest_time_ms()
        await self._refetch_after(since, None)
        for user_id in sorted(self.counterparts()):
            await self._refetch_after(since, user_id)

    def counterparts(self) -> set[str]:
        """User ids whose private conversations with us are re-fetched after a reconnect
        (everyone we shared a private message with, plus ``extra_counterparts()``)."""
        users = {u for m in self.store.messages() for u in m.target_user_ids}
        users.update(self.extra_counterparts())
        users.discard(self.own_user_id)
        return users

    async def _refetch_after(self, time_ms: int, user_id: str | None) -> None:
        """Public messages (or the private ones shared with ``user_id``) at or after ``time_ms``."""
        assert self.connection is not None
        while True:
            request = pb.GetPaginatedChatMessageRoomRequest(time_stamp=time_ms, size=REFETCH_PAGE)
            if user_id is not None:
                request.filters.user_id = user_id
            frame = await self.connection.request(Event.GET_PAGINATED_MESSAGES, request.SerializeToString(),
                                                  internal=True)
            page = parse_payload(pb.GetPaginatedChatMessageRoomResponse, frame.payload)
            messages = [from_proto(p) for p in page.messages]
            for message in messages:
                self.apply_message(message)
            newest = max((m.time_ms for m in messages), default=time_ms)
            if not page.next or newest <= time_ms:
                return
            time_ms = newest
