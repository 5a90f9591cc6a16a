"""Fill a local meeting with a long chat history fast, for the widget benchmark.

Sending 100,000 messages through a client takes minutes of rate-limited socket
traffic that is not what the benchmark measures, so the history is written
straight into the embedded server's store, in one transaction, with the same
query the server uses for a send (sequence numbers, revisions and times stay
consistent). Runs inside the benchmark's kernel.
"""

from __future__ import annotations

import sqlite3

from rtk_widget import Meeting
from rtk_widget.client.local import local_server
from rtk_widget.server.store.messages import NewMessage, insert_message

TEXT = 0  # RealtimeKit's payload type for a text message


def history_text(index: int) -> str:
    """The text of history message ``index``: fixed width, so no text contains another."""
    return f"history {index:06d}"


def seed_history(author: Meeting, count: int) -> None:
    """Store ``count`` text messages from ``author`` (joined) in its local meeting."""
    me = author.self
    meeting_id = author.meeting_id

    def insert_all(conn: sqlite3.Connection) -> None:
        for index in range(count):
            insert_message(conn, NewMessage(
                meeting_id=meeting_id, session_id=None, peer_id=me.id, user_id=me.user_id,
                display_name=me.name, payload_type=TEXT, payload=history_text(index),
                target_user_ids=[], envelope_id=None, file_ids=[]))

    async def write() -> None:
        server = await local_server(author._runtime)
        await server.parts.db.write(insert_all)

    author._runtime.run(write())
