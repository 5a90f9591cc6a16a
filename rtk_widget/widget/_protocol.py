"""The comm protocol between the ChatWidget model and its front end.

Kept in lockstep with ``js/src/protocol.ts``; ``tests/widget/test_contract.py``
parses the kind literals there and compares them with the constants here.
"""

from __future__ import annotations

from typing import Final, Literal, NotRequired, TypeAlias, TypedDict, get_args

PAGE: Final = "page"
CATCH_UP: Final = "catch-up"
UPLOAD_CHUNK: Final = "upload-chunk"
SEND: Final = "send"
EDIT: Final = "edit"
DELETE: Final = "delete"
PIN: Final = "pin"
UNPIN: Final = "unpin"
MEDIA: Final = "media"
CANCEL: Final = "cancel"
PINNED: Final = "pinned"
PING: Final = "ping"
RECONNECT: Final = "reconnect"

RequestKind: TypeAlias = Literal[
    "page",
    "catch-up",
    "upload-chunk",
    "send",
    "edit",
    "delete",
    "pin",
    "unpin",
    "media",
    "cancel",
    "pinned",
    "ping",
    "reconnect",
]
REQUEST_KINDS: Final[frozenset[str]] = frozenset(
    {PAGE, CATCH_UP, UPLOAD_CHUNK, SEND, EDIT, DELETE, PIN, UNPIN, MEDIA, CANCEL, PINNED, PING, RECONNECT}
)
RESPONSE_SUFFIX: Final = "-response"

DELTAS: Final = "deltas"
RESET: Final = "reset"
SCROLL_TO: Final = "scroll-to"
PushKind: TypeAlias = Literal["deltas", "reset", "scroll-to"]
PUSH_KINDS: Final[frozenset[str]] = frozenset({DELTAS, RESET, SCROLL_TO})

UPSERT: Final = "upsert"
REMOVE: Final = "remove"

ErrorCodeName: TypeAlias = Literal[
    "rate_limited",
    "text_too_long",
    "empty",
    "forbidden",
    "not_found",
    "upload_refused",
    "disconnected",
    "timeout",
    "invalid",
    "internal",
]
ERROR_CODES: Final[frozenset[str]] = frozenset(get_args(ErrorCodeName))

MessageType: TypeAlias = Literal["text", "image", "file", "custom"]


class WireMessage(TypedDict):
    """One chat message as the front end sees it (camelCase, JSON-safe)."""

    id: str
    type: MessageType
    userId: str
    displayName: str
    time: int
    """Milliseconds since the epoch."""
    order: int
    """Ascending sort key: the server's per-meeting sequence number."""
    edited: bool
    pinned: bool
    targetUserIds: list[str]
    """Empty for a public message."""
    text: NotRequired[str]
    link: NotRequired[str]
    name: NotRequired[str]
    size: NotRequired[int]
    localId: NotRequired[str]
    """Set when the message answers a ``send`` from this panel: that request's ``localId``."""


class UpsertDelta(TypedDict):
    """A message was added or changed."""

    op: Literal["upsert"]
    message: WireMessage


class RemoveDelta(TypedDict):
    """A message was deleted."""

    op: Literal["remove"]
    id: str


Delta: TypeAlias = UpsertDelta | RemoveDelta


class ErrorPayload(TypedDict):
    """Why a request failed."""

    code: ErrorCodeName
    message: str
    retryAfterMs: NotRequired[int]


class PageRequest(TypedDict):
    """Ask for up to ``limit`` messages before ``before`` (None: the newest) or,
    when ``after`` is present, after ``after`` (None: from the oldest)."""

    before: NotRequired[int | None]
    after: NotRequired[int | None]
    limit: int


class PageResponse(TypedDict):
    """Messages in ascending order and the feed position they reflect.

    ``hasMore`` says whether more exist in the direction read (older for
    ``before``, newer for ``after``).
    """

    messages: list[WireMessage]
    hasMore: bool
    feedSeq: int


class PinnedResponse(TypedDict):
    """Every pinned message the user can see, oldest first, as of ``feedSeq``."""

    messages: list[WireMessage]
    feedSeq: int


class CatchUpRequest(TypedDict):
    """Ask for the deltas after ``after``."""

    after: int


class UploadChunkRequest(TypedDict):
    """One chunk of an upload; the bytes travel in buffers[0]."""

    uploadId: str
    index: int
    last: bool
    name: str
    mime: str
    size: int


# "as" is a Python keyword, hence the functional form.
SendRequest = TypedDict(
    "SendRequest",
    {"text": str, "uploadId": str, "as": Literal["image", "file"], "to": list[str], "localId": str},
    total=False,
)
"""Send text, or a finished upload as an image or a file, optionally privately."""


class EditRequest(TypedDict):
    """Replace a text message's text."""

    messageId: str
    text: str


class MessageIdRequest(TypedDict):
    """Delete, pin or unpin one message."""

    messageId: str


class MediaRequest(TypedDict):
    """Fetch an attachment through the kernel."""

    link: str


class CancelRequest(TypedDict):
    """Cancel the request with id ``targetId``."""

    targetId: str


class ConnectionDetail(TypedDict):
    """The ``connection_detail`` trait: the meeting's connection in more words than ``connection_state``."""

    state: str
    attempt: int
    """The reconnection attempt (0 when connected or not reconnecting)."""
    nextAttemptAt: int | None
    """When the next reconnection attempt starts, in milliseconds since the epoch."""
    reason: str | None
    """Why the connection dropped or failed, when known."""


class DeltasPush(TypedDict):
    """Deltas numbered ``first``, ``first + 1``, ..."""

    kind: Literal["deltas"]
    first: int
    items: list[Delta]


def response_kind(kind: str) -> str:
    """Return the reply kind for a request kind."""
    return kind + RESPONSE_SUFFIX
