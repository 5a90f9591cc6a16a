"""The chat's read-only calls: paginated fetches and search (docs/protocol.md §4.3 to §5)."""

from __future__ import annotations

from rtk_widget.client.chat_requests import (
    Direction,
    MessagePage,
    Timestamp,
    page_request,
    parse_page,
    to_epoch_ms,
)
from rtk_widget.client.connection import Connection
from rtk_widget.client.errors import EmptyMessageError, NotJoinedError
from rtk_widget.client.messages import Message, from_proto
from rtk_widget.client.runtime import Runtime, blocking, network
from rtk_widget.wire import chat_pb2 as pb
from rtk_widget.wire.events import Event


class ChatReads:
    """``fetch_*_messages`` and ``search_messages`` (mixed into :class:`~rtk_widget.client.chat.Chat`).

    Fetched messages are returned, not added to ``chat.messages`` (like the SDK).
    """

    _runtime: Runtime

    def _connection(self) -> Connection:
        raise NotJoinedError("join the meeting first (meeting.join())")

    @network
    async def fetch_public_messages_async(self, *, timestamp: Timestamp = None, limit: int = 25,
                                          direction: Direction = "after") -> MessagePage:
        """A page of public messages: "before" ``timestamp`` newest first, or "after" it oldest first."""
        return await self._fetch(page_request(timestamp, limit, direction))

    fetch_public_messages = blocking(fetch_public_messages_async)

    @network
    async def fetch_private_messages_async(self, *, user_id: str, timestamp: Timestamp = None,
                                           limit: int = 25, direction: Direction = "after") -> MessagePage:
        """A page of the private conversation with the user ``user_id``."""
        return await self._fetch(page_request(timestamp, limit, direction, user_id=user_id))

    fetch_private_messages = blocking(fetch_private_messages_async)

    @network
    async def fetch_pinned_messages_async(self, *, timestamp: Timestamp = None, limit: int = 25,
                                          direction: Direction = "after") -> MessagePage:
        """A page of pinned messages."""
        return await self._fetch(page_request(timestamp, limit, direction, pinned=True))

    fetch_pinned_messages = blocking(fetch_pinned_messages_async)

    @network
    async def search_messages_async(self, query: str, *, timestamp: Timestamp = None, limit: int = 75,
                                    direction: Direction = "before") -> list[Message]:
        """Messages whose text contains ``query`` (event 65543; the SDK's defaults)."""
        if not query.strip():
            raise EmptyMessageError("the search query is empty")
        request = pb.SearchChatMessagesRequest(time_stamp=to_epoch_ms(timestamp, direction), size=limit,
                                               reversed=direction == "before", search_term=query)
        frame = await self._connection().request(Event.SEARCH_CHANNEL_MESSAGES, request.SerializeToString())
        answer = pb.GetChatMessagesResponse()
        answer.ParseFromString(frame.payload)
        return [from_proto(p) for p in answer.messages]

    search_messages = blocking(search_messages_async)

    async def _fetch(self, request: pb.GetPaginatedChatMessageRoomRequest) -> MessagePage:
        frame = await self._connection().request(Event.GET_PAGINATED_MESSAGES, request.SerializeToString())
        return parse_page(frame.payload)
