"""The comm protocol between the ChatWidget model and its front end: the one source.

Every request, reply, push, message shape and synced trait is declared here
once, as TypedDicts. ``js/src/protocol.generated.ts`` is generated from this
module (``python -m rtk_widget.widget._typescript``; a test fails when it is
stale), and the request handlers check what arrives against the same
declarations (``_parse.py``).

Requests from the front end are ``{kind, id, msg}``; each gets one reply,
``{kind: "<kind>-response", id, response}`` or ``{..., error: ErrorPayload}``.
``cancel`` (``{kind, msg}``, no id) gets none. Pushes from Python are
``DeltasPush`` and ``ScrollToPush``.
"""

from __future__ import annotations

from typing import Final, Literal, NotRequired, TypeAlias, TypedDict, get_args

# ----- shapes shared by several messages -----

WireMessageType: TypeAlias = Literal["text", "image", "file", "custom"]
"""How the panel shows a message; polls show as "custom" (the client's ``MessageType`` has "poll")."""

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


class WireMessage(TypedDict):
    """One chat message as the front end sees it (camelCase, JSON-safe)."""

    id: str
    type: WireMessageType
    userId: str
    displayName: str
    time: int
    """Milliseconds since the epoch."""
    order: int
    """Ascending sort key: the server's per-meeting sequence number (the time on RealtimeKit)."""
    edited: bool
    pinned: bool
    targetUserIds: list[str]
    """Empty for a public message."""
    text: NotRequired[str]
    link: NotRequired[str]
    name: NotRequired[str]
    size: NotRequired[int]
    localId: NotRequired[str]
    """On the delta of a message that answers a ``send`` from this panel: that request's ``localId``."""


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


class Empty(TypedDict):
    """No fields."""


# ----- requests (msg) and their responses -----


class PageRequest(TypedDict):
    """Up to ``limit`` messages before ``before`` (None: the newest) or, when the
    ``after`` key is present, after ``after`` (None: from the oldest)."""

    before: NotRequired[int | None]
    after: NotRequired[int | None]
    limit: int


class PageResponse(TypedDict):
    """Messages in ascending order and the feed position they reflect; ``hasMore``:
    more exist in the direction read (older for ``before``, newer for ``after``)."""

    messages: list[WireMessage]
    hasMore: bool
    feedSeq: int


class PinnedResponse(TypedDict):
    """Every pinned message the user can see, oldest first, as of ``feedSeq``."""

    messages: list[WireMessage]
    feedSeq: int


class CatchUpRequest(TypedDict):
    """The deltas after ``after``."""

    after: int


class CatchUpDeltas(TypedDict):
    """The deltas numbered ``after + 1`` to ``feedSeq``."""

    deltas: list[Delta]
    feedSeq: int


class CatchUpReset(TypedDict):
    """Those deltas are gone: reload the newest page and the pinned list."""

    reset: Literal[True]


CatchUpResponse: TypeAlias = CatchUpDeltas | CatchUpReset


class UploadChunkRequest(TypedDict):
    """One chunk of an upload; the bytes travel in buffers[0]. Chunks come in order from 0."""

    uploadId: str
    index: int
    last: bool
    name: str
    mime: str
    size: int


class UploadChunkResponse(TypedDict):
    """Bytes of the upload received so far."""

    received: int


# "as" is a Python keyword, hence the functional form.
SendRequest = TypedDict(
    "SendRequest",
    {
        "text": NotRequired[str],
        "uploadId": NotRequired[str],
        "as": NotRequired[Literal["image", "file"]],
        "to": NotRequired[list[str]],
        "localId": NotRequired[str],
    },
)
SendRequest.__doc__ = """Send text, or a finished upload as an image or a file, privately to user ids in
``to``. ``localId`` comes back on the message's delta, so the panel can replace its pending row."""


class MessageResponse(TypedDict):
    """The message as the server stored it."""

    message: WireMessage


class EditRequest(TypedDict):
    """Replace a text message's text."""

    messageId: str
    text: str


class MessageIdRequest(TypedDict):
    """Delete, pin or unpin one message."""

    messageId: str


class MediaRequest(TypedDict):
    """Fetch an attachment of this chat through the kernel."""

    link: str


class MediaResponse(TypedDict):
    """The attachment's type and name; its bytes travel in buffers[0]."""

    mime: str
    name: str


class CancelRequest(TypedDict):
    """Cancel the request with id ``targetId`` (it then gets no reply)."""

    targetId: str


PAGE: Final = "page"
PINNED: Final = "pinned"
CATCH_UP: Final = "catch-up"
UPLOAD_CHUNK: Final = "upload-chunk"
SEND: Final = "send"
EDIT: Final = "edit"
DELETE: Final = "delete"
PIN: Final = "pin"
UNPIN: Final = "unpin"
MEDIA: Final = "media"
PING: Final = "ping"
RECONNECT: Final = "reconnect"
CANCEL: Final = "cancel"

REQUESTS: Final[dict[str, tuple[object, object]]] = {
    PAGE: (PageRequest, PageResponse),
    PINNED: (Empty, PinnedResponse),
    CATCH_UP: (CatchUpRequest, CatchUpResponse),
    UPLOAD_CHUNK: (UploadChunkRequest, UploadChunkResponse),
    SEND: (SendRequest, MessageResponse),
    EDIT: (EditRequest, MessageResponse),
    DELETE: (MessageIdRequest, Empty),
    PIN: (MessageIdRequest, MessageResponse),
    UNPIN: (MessageIdRequest, MessageResponse),
    MEDIA: (MediaRequest, MediaResponse),
    PING: (Empty, Empty),
    RECONNECT: (Empty, Empty),
}
"""Each request kind: what its ``msg`` holds and what its ``response`` holds.
``ping`` is answered at once by the comm handler (the panel's proof that its kernel
lives); ``reconnect`` when the meeting's reconnection attempt finished."""

REQUEST_KINDS: Final[frozenset[str]] = frozenset({*REQUESTS, CANCEL})
RESPONSE_SUFFIX: Final = "-response"

# ----- pushes -----

DELTAS: Final = "deltas"
SCROLL_TO: Final = "scroll-to"


class DeltasPush(TypedDict):
    """Deltas numbered ``first``, ``first + 1``, ..."""

    kind: Literal["deltas"]
    first: int
    items: list[Delta]


class ScrollToPush(TypedDict):
    """Scroll every view to a message; ``order`` tells one not loaded yet from one
    whose delta is still on its way."""

    kind: Literal["scroll-to"]
    messageId: str
    order: NotRequired[int]


Push: TypeAlias = DeltasPush | ScrollToPush
PUSHES: Final[dict[str, object]] = {DELTAS: DeltasPush, SCROLL_TO: ScrollToPush}
PUSH_KINDS: Final[frozenset[str]] = frozenset(PUSHES)

UPSERT: Final = "upsert"
REMOVE: Final = "remove"

# ----- synced traits -----
# Their values are Python data a notebook reads (``widget.participants``), so their keys are
# snake_case like the rest of the Python API; the front end's readers (js/src/traits.ts) map
# them to its own camelCase types.


class Permissions(TypedDict):
    """What this participant's preset allows."""

    can_pin: bool
    can_send: bool
    can_send_files: bool
    can_send_private: bool


class SelfInfo(TypedDict):
    """The ``self_info`` trait: this participant."""

    user_id: str
    display_name: str
    permissions: Permissions


class Participant(TypedDict):
    """One entry of the ``participants`` trait: someone else in the meeting."""

    user_id: str
    display_name: str


class Limits(TypedDict):
    """The ``limits`` trait: what the panel checks before sending."""

    max_text_length: int
    max_upload_bytes: int | None


class ConnectionDetail(TypedDict):
    """The ``connection_detail`` trait: the meeting's connection in more words than ``connection_state``."""

    state: str
    attempt: int
    """The reconnection attempt of the current outage (0 while connected)."""
    next_attempt_at: int | None
    """While waiting to retry: when the next attempt starts, in milliseconds since the epoch."""
    reason: str | None
    """Why the connection dropped or failed, when known."""


class LastError(TypedDict):
    """The ``last_error`` trait: the latest failure worth showing."""

    code: str
    message: str
    retry_after_ms: NotRequired[int]


MediaMode: TypeAlias = Literal["auto", "kernel", "direct"]


class ChatTraits(TypedDict):
    """Every synced trait of ``ChatWidget``, by name (the front end reads these)."""

    connection_state: str
    connection_detail: ConnectionDetail
    self_info: SelfInfo | None
    participants: list[Participant]
    last_error: LastError | None
    limits: Limits
    title: str
    media_mode: MediaMode
    trusted_media_origins: list[str]
    """The origins (``scheme://host:port``) the meeting vouches for: the kernel fetches attachments
    only from these, and in ``auto`` mode the browser loads a link itself only from one of them."""
    height: str | int
    """A CSS length, or pixels."""
    seen_feed_seq: int
    """Written by the panel, not by Python: the feed position its views have applied. A change the
    front end saves is what makes marimo re-run cells that read the widget."""


class ReplayState(TypedDict):
    """The ``replay`` trait of a ``ReplayWidget`` (set by Python): the session and where the reveal is."""

    count: int
    """How many messages the session has."""
    start_ms: int
    """The session's first message time, in milliseconds since the epoch (0 for an empty session)."""
    end_ms: int
    """Its last message time."""
    at_ms: int
    """The time of the latest revealed message (``start_ms`` when none is revealed)."""


class ReplayTraits(TypedDict):
    """The synced traits a ``ReplayWidget`` adds to those of ``ChatTraits`` it keeps; a panel whose
    model has ``replay`` is read-only: no composer, replay controls instead."""

    replay: ReplayState
    replay_position: int
    """How many messages are revealed, in chat order (0 to ``replay.count``); both sides write it."""
    replay_playing: bool
    """Whether the kernel reveals the next messages on the session's clock; both sides write it."""
    replay_speed: float
    """How many times faster than the session the reveal runs; both sides write it."""


def response_kind(kind: str) -> str:
    """Return the reply kind for a request kind."""
    return kind + RESPONSE_SUFFIX
