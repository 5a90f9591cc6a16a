"""Chat Replay: a session's chat as RealtimeKit's CSV dump, behind a signed, expiring URL.

Columns: ``id, participantId, sessionId, meetingId, displayName, pinned, isEdited,
payloadType, payload, createdAt``; ``participantId`` is the sender's participant (user) id,
``createdAt`` ISO-8601 UTC. Deleted messages are left out, and so are private messages: the
format has no audience column, so a reader could not tell them from public ones
(``ServerConfig.replay_include_private`` changes that).
"""

from __future__ import annotations

import csv
import io
import time

from starlette.requests import Request
from starlette.responses import Response

from rtk_widget.server.auth import UrlSigner
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.rest.files import SECURITY_HEADERS
from rtk_widget.server.rest.responses import json_error
from rtk_widget.server.store import messages as mq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import MessageRecord, iso
from rtk_widget.wire.replay import COLUMNS, payload_type_name


def to_csv(records: list[MessageRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in records:
        writer.writerow(
            [
                r.id,
                r.user_id,
                r.session_id or "",
                r.meeting_id,
                r.display_name,
                "true" if r.pinned else "false",
                "true" if r.edited else "false",
                payload_type_name(r.payload_type),
                r.payload,
                iso(r.created_ms),
            ]
        )
    return out.getvalue()


class Replay:
    def __init__(self, config: ServerConfig, db: Database, signer: UrlSigner) -> None:
        self.config = config
        self.db = db
        self.signer = signer

    def download_url(self, base: str, session_id: str) -> dict[str, str]:
        expires = int(time.time()) + self.config.replay_url_ttl_s
        sig = self.signer.sign("replay", session_id, expires)
        return {
            "chat_download_url": f"{base}/replay/{session_id}.csv?exp={expires}&sig={sig}",
            "chat_download_url_expiry": iso(expires * 1000) or "",
        }

    async def serve(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if not self.signer.check(
            "replay", session_id, request.query_params.get("exp"), request.query_params.get("sig")
        ):
            return json_error(403, "invalid or expired download URL")
        include = self.config.replay_include_private
        records = await self.db.read(lambda c: mq.session_messages(c, session_id, include_private=include))
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{session_id}.csv"'}
        return Response(to_csv(records), media_type="text/csv; charset=utf-8", headers=headers)
