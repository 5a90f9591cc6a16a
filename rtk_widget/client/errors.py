"""Typed exceptions of the chat client.

Every failure raises a subclass of :class:`ChatError`, including the checks the
official SDK only logs (image/file permission, wrong image type, empty file).
Server refusals (``socket.api.ErrorMessage`` on event 65535) are mapped from
:class:`~rtk_widget.wire.codes.ErrorCode` by :func:`error_from_server`.
"""

from __future__ import annotations

from rtk_widget.wire.codes import ErrorCode


class ChatError(Exception):
    """Base class of every error raised by :mod:`rtk_widget.client`.

    ``code`` is the server's :class:`ErrorCode` when the server refused the
    request, else ``None`` (a client-side check).
    """

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class TextTooLongError(ChatError):
    """Text longer than the chat's limit (SDK 0503; server 413)."""


class EmptyMessageError(ChatError):
    """Empty text or an empty file (SDK 0502; server 422 for empty text)."""


class InvalidMessageError(ChatError):
    """A request the server or the client finds unacceptable (server 422, 400)."""


class RateLimitedError(ChatError):
    """Too many messages in the rate window (SDK 0013; server 429).

    ``retry_after`` is the number of seconds after which a retry can succeed.
    """

    def __init__(self, message: str, *, retry_after: float, code: ErrorCode | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermissionDeniedError(ChatError):
    """The participant's preset does not allow the action (SDK 0501; server 403)."""


class MessageNotFoundError(ChatError):
    """No message with that id, or an unknown peer (SDK 0504; server 404)."""


class NotJoinedError(ChatError):
    """The action needs a joined meeting (SDK 0505; server 409)."""


class UploadError(ChatError):
    """Uploading an image or file failed."""


class UnsupportedImageTypeError(ChatError):
    """An image that is not JPEG, PNG or GIF (checked on the bytes, not the name)."""


class RequestTimeoutError(ChatError):
    """The server did not answer within the request timeout (20 s by default, like the SDK).

    A send that timed out may still have been stored: it then shows up in
    ``chat.messages`` (with a ``chatUpdate``) when the server's answer or the
    next catch-up arrives.
    """


class ConnectionLostError(ChatError):
    """The connection is gone for good (left, or reconnection gave up)."""


class TLSError(ConnectionLostError):
    """The TLS handshake failed, usually because the server's certificate is not trusted.

    Pass ``Meeting(..., verify="/path/to/cert.pem")`` to trust a self-signed or private-CA
    server. Its ``__cause__`` is the :class:`ssl.SSLError` that failed the handshake.
    """


class AuthenticationError(ChatError):
    """The token is malformed, or the server refused it (server 401)."""


class ServerError(ChatError):
    """The server failed; nothing was stored (server 500)."""


_BY_CODE: dict[ErrorCode, type[ChatError]] = {
    ErrorCode.MALFORMED: InvalidMessageError,
    ErrorCode.UNAUTHORIZED: AuthenticationError,
    ErrorCode.FORBIDDEN: PermissionDeniedError,
    ErrorCode.NOT_FOUND: MessageNotFoundError,
    ErrorCode.NOT_JOINED: NotJoinedError,
    ErrorCode.TOO_LARGE: TextTooLongError,
    ErrorCode.INVALID: InvalidMessageError,
    ErrorCode.INTERNAL: ServerError,
}


def error_from_server(code: int | None, message: str, retry_after_ms: int = 0) -> ChatError:
    """The typed exception for a server's error reply (unknown codes give :class:`ChatError`)."""
    try:
        known = ErrorCode(code) if code is not None else None
    except ValueError:
        known = None
    text = message or "the server refused the request"
    if known is ErrorCode.RATE_LIMITED:
        return RateLimitedError(text, retry_after=retry_after_ms / 1000, code=known)
    if known is ErrorCode.INVALID and "empty" in text.lower():
        return EmptyMessageError(text, code=known)
    if known is None:
        return ChatError(text)
    return _BY_CODE[known](text, code=known)


class CloudflareError(ChatError):
    """A call to Cloudflare's RealtimeKit API (through its official ``cloudflare`` SDK) failed.

    ``call`` names the SDK call (``"realtime_kit.meetings.add_participant"``), ``status`` is
    the HTTP status when there was an answer, ``sdk_error`` the SDK's own exception.
    """

    def __init__(self, message: str, *, call: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.call = call
        self.status = status
        self.sdk_error: Exception | None = None


class CloudflareAuthenticationError(CloudflareError):
    """No API token, or Cloudflare refused it (HTTP 401/403)."""


class CloudflareNotFoundError(CloudflareError):
    """An unknown account, app, meeting, participant or session (HTTP 404)."""


class CloudflareRequestError(CloudflareError):
    """Cloudflare refused the request's content, e.g. an unknown preset name (HTTP 400, 409, 422)."""


class WebhookSignatureError(CloudflareError):
    """A webhook delivery whose ``rtk-signature`` is missing or does not match its body."""
