"""The widget's one adapter of a meeting: the chat calls it makes, run on the client's network loop.

``ChatWidget``'s public methods and the front end's request handlers both go through it.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from rtk_widget.client.errors import MessageNotFoundError
from rtk_widget.client.messages import Message
from rtk_widget.client.participants import Participant
from rtk_widget.client.runtime import get_runtime
from rtk_widget.client.uploads import FileSource
from rtk_widget.wire import limits

from ._media_policy import MediaPolicy, attachment_name

if TYPE_CHECKING:
    from rtk_widget.client.meeting import Meeting

T = TypeVar("T")

DEFAULT_MAX_UPLOAD_BYTES = limits.MAX_UPLOAD_BYTES
"""RealtimeKit's and the embedded server's upload limit."""


class MeetingPort:
    """Adapts ``meeting.chat`` to what the widget and its request handlers need."""

    def __init__(self, meeting: Meeting) -> None:
        if meeting.attached:  # checked first: refusing needs no network thread of ours
            # The panel's calls block until the network loop answers; on a loop the notebook
            # itself runs (Meeting(loop=...)), they would wait on the loop they block.
            raise ValueError("ChatWidget(meeting): this meeting runs on your own event loop "
                             "(Meeting(loop=...)); a widget needs one on rtk-widget's network "
                             "thread: create the Meeting without loop=")
        self.runtime = get_runtime()
        self.meeting = meeting
        self.chat = meeting.chat
        self.max_upload_bytes = DEFAULT_MAX_UPLOAD_BYTES
        self.media = MediaPolicy(meeting)

    @property
    def max_text_length(self) -> int:
        """Longest text the chat accepts (UTF-16 code units)."""
        return self.chat.max_text_limit

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the network loop without waiting."""
        return self.runtime.submit(coro)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the network loop and wait for it (a plain call from a cell)."""
        return self.runtime.run(coro)

    def peers(self, user_ids: list[str]) -> list[Participant] | None:
        """Everyone joined under these user ids (None: a public message)."""
        if not user_ids:
            return None
        peers: list[Participant] = []
        for user_id in user_ids:
            found = self.meeting.participants.by_user_id(user_id)
            if not found:
                raise MessageNotFoundError(f"no participant with user id {user_id!r} is in the meeting")
            peers.extend(found)
        return peers

    def new_envelope_id(self) -> str:
        """The id a send will carry (pass it as ``envelope_id``); its message and event carry it back."""
        return self.chat.new_envelope_id()

    async def send_text(self, text: str, to: list[str], envelope_id: str | None = None) -> Message:
        """Send text, privately when ``to`` lists user ids."""
        return await self.chat.send_text_message_async(text, self.peers(to), envelope_id=envelope_id)

    async def send_image(self, data: bytes, name: str, to: list[str], envelope_id: str | None) -> Message:
        """Send an uploaded image (its type is checked on the bytes by the client)."""
        peers = self.peers(to)
        return await self.chat.send_image_message_async((name, data), peers, envelope_id=envelope_id)

    async def send_file(self, data: bytes, name: str, to: list[str], envelope_id: str | None) -> Message:
        """Send an uploaded file."""
        peers = self.peers(to)
        return await self.chat.send_file_message_async((name, data), peers, envelope_id=envelope_id)

    async def send_image_source(self, image: FileSource, name: str | None, to: list[str]) -> Message:
        """Send an image from a path, bytes or file object."""
        return await self.chat.send_image_message_async(image, self.peers(to), name=name)

    async def send_file_source(self, file: FileSource, name: str | None, to: list[str]) -> Message:
        """Send a file from a path, bytes or file object."""
        return await self.chat.send_file_message_async(file, self.peers(to), name=name)

    async def edit_text(self, message_id: str, text: str) -> Message:
        """Replace a text message's text."""
        return await self.chat.edit_text_message_async(message_id, text)

    async def edit_image_source(self, message_id: str, image: FileSource, name: str | None) -> Message:
        """Replace an image message's image."""
        return await self.chat.edit_image_message_async(message_id, image, name=name)

    async def edit_file_source(self, message_id: str, file: FileSource, name: str | None) -> Message:
        """Replace a file message's file."""
        return await self.chat.edit_file_message_async(message_id, file, name=name)

    async def delete(self, message_id: str) -> None:
        """Delete a message."""
        await self.chat.delete_message_async(message_id)

    async def pin(self, message_id: str) -> Message:
        """Pin a message."""
        return await self.chat.pin_async(message_id)

    async def unpin(self, message_id: str) -> Message:
        """Unpin a message."""
        return await self.chat.unpin_async(message_id)

    async def reconnect(self) -> None:
        """Reconnect the meeting now (the panel's Reconnect button)."""
        await self.meeting.reconnect_async()

    def attachment_name(self, link: str) -> str | None:
        """The file name of the meeting's attachment at ``link`` ("" for images), None if no message has it.

        Read from the meeting's store, which is ahead of the events still queued for the widget,
        so a front end that asks for a just-sent attachment finds it.
        """
        return attachment_name(reversed(self.chat.state.store.view()), link)

    async def fetch_media(self, link: str, max_bytes: int) -> tuple[bytes, str]:
        """Download an attachment from the kernel's side, at most ``max_bytes``, if the meeting vouches
        for its origin (see :mod:`._media_policy`)."""
        return await self.media.fetch(link, max_bytes)
