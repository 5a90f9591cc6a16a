"""Cloudflare RealtimeKit through Cloudflare's official ``cloudflare`` SDK
(``pip install 'rtk-widget[cloudflare]'``): join in one step, read past sessions, check webhooks.

    meeting = Meeting.from_cloudflare(name="Ada")        # creates a meeting, adds you, joins
    chat = session_chat(list_sessions(meeting.meeting_id)[0].id)
    event = verify_webhook(raw_body, headers)            # then chat_synced_dataframe(event)
"""

from rtk_widget.client.errors import (
    CloudflareAuthenticationError,
    CloudflareError,
    CloudflareNotFoundError,
    CloudflareRequestError,
    WebhookSignatureError,
)
from rtk_widget.cloudflare.api import RealtimeKitApp, connect, local_options
from rtk_widget.cloudflare.join import from_cloudflare
from rtk_widget.cloudflare.replay import SessionChat, list_sessions, session_chat, session_messages
from rtk_widget.cloudflare.webhooks import (
    chat_synced_dataframe,
    chat_synced_messages,
    public_key,
    verify_webhook,
)

__all__ = [
    "CloudflareAuthenticationError",
    "CloudflareError",
    "CloudflareNotFoundError",
    "CloudflareRequestError",
    "RealtimeKitApp",
    "SessionChat",
    "WebhookSignatureError",
    "chat_synced_dataframe",
    "chat_synced_messages",
    "connect",
    "from_cloudflare",
    "list_sessions",
    "local_options",
    "public_key",
    "session_chat",
    "session_messages",
    "verify_webhook",
]
