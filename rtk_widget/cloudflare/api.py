"""One RealtimeKit app reached through Cloudflare's official ``cloudflare`` SDK, and SDK errors
turned into :class:`~rtk_widget.client.errors.CloudflareError` naming the call.

Who to talk to follows the SDK's own conventions: a given ``Cloudflare`` client, else one built
from the environment (``CLOUDFLARE_API_TOKEN``, and ``CLOUDFLARE_BASE_URL`` if set).
``account_id`` defaults to ``CLOUDFLARE_ACCOUNT_ID``; ``app_id`` to
``CLOUDFLARE_REALTIMEKIT_APP_ID``, else the account's first app. ``base_url`` points the SDK
(and the participant's connection) at an rtk-widget server instead of Cloudflare.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from rtk_widget.client.errors import (
    CloudflareAuthenticationError,
    CloudflareError,
    CloudflareNotFoundError,
    CloudflareRequestError,
)

if TYPE_CHECKING:
    from cloudflare import Cloudflare

T = TypeVar("T")
API_PATH = "/client/v4"
CLOUDFLARE_API_HOST = "api.cloudflare.com"
APP_ID_VARIABLE = "CLOUDFLARE_REALTIMEKIT_APP_ID"


def _sdk() -> Any:
    try:
        import cloudflare
    except ImportError:
        raise ImportError(
            "rtk_widget.cloudflare needs Cloudflare's SDK: pip install 'rtk-widget[cloudflare]'"
        ) from None
    return cloudflare


def _call_error(call: str, exc: Exception) -> CloudflareError:
    """The typed error for an SDK exception raised by ``call``."""
    sdk = _sdk()
    status = getattr(exc, "status_code", None)
    detail = _message_of(exc)
    text = f"{call} failed" + (f" (HTTP {status})" if status else "") + f": {detail}"
    if isinstance(exc, sdk.AuthenticationError | sdk.PermissionDeniedError):
        return CloudflareAuthenticationError(text, call=call, status=status)
    if isinstance(exc, sdk.NotFoundError):
        return CloudflareNotFoundError(text, call=call, status=status)
    if isinstance(exc, sdk.BadRequestError | sdk.ConflictError | sdk.UnprocessableEntityError):
        return CloudflareRequestError(text, call=call, status=status)
    return CloudflareError(text, call=call, status=status)


def _message_of(exc: Exception) -> str:
    """The API's own error message when it sent one (``{"error": {"message": ...}}``)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("message")
        if isinstance(message, str) and message:
            return message
    return str(exc)


@dataclass
class RealtimeKitApp:
    """An SDK client with the account and app every RealtimeKit call needs.

    ``server_url`` is the rtk-widget server the client talks to (None: Cloudflare itself).
    """

    client: Cloudflare
    account_id: str
    app_id: str
    server_url: str | None

    def call(self, name: str, method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``method(*args, account_id=..., **kwargs)``; SDK errors become CloudflareError naming
        ``realtime_kit.<name>``."""
        kwargs.setdefault("account_id", self.account_id)
        return call_sdk(f"realtime_kit.{name}", method, *args, **kwargs)

    @property
    def kit(self) -> Any:
        """The SDK's ``client.realtime_kit``."""
        return self.client.realtime_kit


def call_sdk(call: str, method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run one SDK call, turning its errors into :class:`CloudflareError` naming ``call``."""
    sdk = _sdk()
    try:
        return method(*args, **kwargs)
    except sdk.APIError as exc:
        error = _call_error(call, exc)
        error.sdk_error = exc
        raise error from None  # one readable error, not the SDK's and httpx's frames too


def connect(
    client: Cloudflare | None = None,
    *,
    account_id: str | None = None,
    app_id: str | None = None,
    base_url: str | None = None,
) -> RealtimeKitApp:
    """The app to use, from the arguments, the SDK's environment and ``apps.get`` (see module doc)."""
    sdk = _sdk()
    if client is None:
        if not (os.environ.get("CLOUDFLARE_API_TOKEN") or os.environ.get("CLOUDFLARE_API_KEY")):
            raise CloudflareAuthenticationError(
                "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (a token with Realtime access) "
                "or pass client=cloudflare.Cloudflare(api_token=...)",
                call="cloudflare.Cloudflare",
            )
        client = sdk.Cloudflare(base_url=base_url.rstrip("/") + API_PATH if base_url else None)
    elif not isinstance(client, sdk.Cloudflare):
        raise TypeError(f"client= must be a cloudflare.Cloudflare (the synchronous client), got {client!r}")
    server_url = base_url.rstrip("/") if base_url else _server_of(str(client.base_url))
    account_id = account_id or os.environ.get("CLOUDFLARE_ACCOUNT_ID")
    if not account_id:
        raise CloudflareRequestError(
            "no Cloudflare account: pass account_id= or set CLOUDFLARE_ACCOUNT_ID", call="connect"
        )
    app = RealtimeKitApp(client, account_id, app_id or os.environ.get(APP_ID_VARIABLE) or "", server_url)
    if not app.app_id:
        apps = app.call("apps.get", app.kit.apps.get).data or []
        if not apps or not apps[0].id:
            raise CloudflareNotFoundError(
                f"account {account_id} has no RealtimeKit app; create one in the dashboard or with "
                "realtime_kit.apps.post",
                call="realtime_kit.apps.get",
            )
        app.app_id = apps[0].id
    return app


def _server_of(api_base: str) -> str | None:
    """The rtk-widget server behind an SDK base URL (None for Cloudflare's own API)."""
    parts = urlsplit(api_base)
    if parts.hostname == CLOUDFLARE_API_HOST:
        return None
    path = parts.path.rstrip("/")
    path = path[: -len(API_PATH)] if path.endswith(API_PATH) else path
    return f"{parts.scheme}://{parts.netloc}{path}"


def local_options() -> dict[str, Any]:
    """Keyword arguments (``client``, ``account_id``, ``app_id``) that point
    ``Meeting.from_cloudflare`` and the session functions at this process's embedded server (the
    one ``Meeting.local`` starts): the Cloudflare path, offline, through the same SDK."""
    from rtk_widget.client.local import local_server
    from rtk_widget.client.runtime import get_runtime

    runtime = get_runtime()
    server = runtime.run(local_server(runtime))
    client = _sdk().Cloudflare(api_token=server.api_token, base_url=server.base_url + API_PATH)
    return {"client": client, "account_id": server.config.account_id, "app_id": server.config.app_id}
