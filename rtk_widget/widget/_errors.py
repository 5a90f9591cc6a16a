"""Client exceptions to the comm protocol's typed errors."""

from __future__ import annotations

from rtk_widget.client import errors

from ._protocol import ErrorCodeName, ErrorPayload


class RequestError(Exception):
    """A request from the front end that the widget itself refuses."""

    def __init__(self, code: ErrorCodeName, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCodeName = code


_CODES: tuple[tuple[type[BaseException], ErrorCodeName], ...] = (
    (errors.RateLimitedError, "rate_limited"),
    (errors.TextTooLongError, "text_too_long"),
    (errors.EmptyMessageError, "empty"),
    (errors.PermissionDeniedError, "forbidden"),
    (errors.MessageNotFoundError, "not_found"),
    (errors.UploadError, "upload_refused"),
    (errors.UnsupportedImageTypeError, "upload_refused"),
    (errors.ConnectionLostError, "disconnected"),
    (errors.NotJoinedError, "disconnected"),
    (errors.RequestTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (errors.InvalidMessageError, "invalid"),
    (ValueError, "invalid"),
    (TypeError, "invalid"),
)


def error_payload(exc: BaseException) -> ErrorPayload:
    """The ``{code, message, retryAfterMs?}`` the front end shows for ``exc``."""
    if isinstance(exc, RequestError):
        return {"code": exc.code, "message": str(exc)}
    for kind, code in _CODES:
        if isinstance(exc, kind):
            payload: ErrorPayload = {"code": code, "message": str(exc) or kind.__name__}
            if isinstance(exc, errors.RateLimitedError):
                payload["retryAfterMs"] = max(0, round(exc.retry_after * 1000))
            return payload
    return {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}
