"""Past sessions through Cloudflare's SDK: a meeting's sessions, and a session's chat (Chat
Replay) as typed messages and a pandas DataFrame.

    sessions = list_sessions(meeting_id)                 # newest first
    chat = session_chat(sessions[0].id)                  # SessionChat
    chat.messages                                        # list[Message], oldest first
    chat.dataframe                                       # pandas (rtk-widget[pandas])

A read-only view takes ``chat.messages`` (or :func:`session_messages`) as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rtk_widget.client.errors import CloudflareError
from rtk_widget.client.export import read_replay_csv, to_dataframe
from rtk_widget.cloudflare.api import RealtimeKitApp, connect

if TYPE_CHECKING:
    from cloudflare import Cloudflare

    from rtk_widget.client.messages import Message

PAGE = 100


@dataclass(frozen=True)
class SessionChat:
    """One session's chat as Chat Replay has it (deleted and private messages are not in it)."""

    session_id: str
    messages: list[Message]
    url: str = field(repr=False)
    """The presigned download URL it came from (it expires; ask again for a fresh one)."""

    @property
    def dataframe(self) -> Any:
        """The messages as a pandas DataFrame (:func:`rtk_widget.client.export.to_dataframe`)."""
        return to_dataframe(self.messages)


def _app(
    client: Cloudflare | None, account_id: str | None, app_id: str | None, base_url: str | None
) -> RealtimeKitApp:
    return connect(client, account_id=account_id, app_id=app_id, base_url=base_url)


def list_sessions(
    meeting_id: str | None = None,
    *,
    status: str | None = None,
    limit: int = PAGE,
    client: Cloudflare | None = None,
    account_id: str | None = None,
    app_id: str | None = None,
    base_url: str | None = None,
) -> list[Any]:
    """The sessions of a meeting (all the app's without ``meeting_id``), newest first, at most
    ``limit``; ``status`` ``"LIVE"`` or ``"ENDED"`` narrows them. Items are the SDK's session
    objects (``id``, ``status``, ``started_at``, ``ended_at``, ``max_concurrent_participants``...)."""
    app = _app(client, account_id, app_id, base_url)
    options: dict[str, Any] = {"sort_order": "DESC"}
    if meeting_id:
        options["associated_id"] = meeting_id
    if status:
        options["status"] = status
    found: list[Any] = []
    page = 1
    while len(found) < limit:
        answer = app.call(
            "sessions.get_sessions",
            app.kit.sessions.get_sessions,
            app.app_id,
            page_no=page,
            per_page=PAGE,
            **options,
        )
        batch = list((answer.data.sessions if answer.data else None) or [])
        found += batch
        if len(batch) < PAGE:
            break
        page += 1
    return found[:limit]


def session_chat(
    session_id: str,
    *,
    client: Cloudflare | None = None,
    account_id: str | None = None,
    app_id: str | None = None,
    base_url: str | None = None,
) -> SessionChat:
    """A session's chat: the SDK's Chat Replay URL, downloaded (httpx) and parsed."""
    app = _app(client, account_id, app_id, base_url)
    answer = app.call(
        "sessions.get_session_chat", app.kit.sessions.get_session_chat, session_id, app_id=app.app_id
    )
    if answer.data is None or not answer.data.chat_download_url:
        raise CloudflareError(
            f"session {session_id} has no Chat Replay URL", call="realtime_kit.sessions.get_session_chat"
        )
    url = answer.data.chat_download_url
    return SessionChat(session_id, read_replay_csv(url), url)


def session_messages(session_id: str, **where: Any) -> list[Message]:
    """:func:`session_chat`'s messages only (for a read-only chat view)."""
    return session_chat(session_id, **where).messages
