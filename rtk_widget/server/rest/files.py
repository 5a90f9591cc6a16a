"""Chat uploads: signed PUT URLs, streamed to disk under server-generated ids, served back.

The model is RealtimeKit's (presigned object-store URLs): ``POST /v2/meetings/chat-upload``
gives a participant a ``put_location`` signed for one file id and a ``get_location`` whose
unguessable id is the capability to read it (the SDK's ``<img>`` and download links carry no
credentials). A download that does identify a participant (``Authorization: Bearer`` or
``?authToken=``) is refused when the file is attached only to private messages that
participant is not in the audience of.

Downloads are attachments (RFC 6266 ``filename*`` plus a sanitized ASCII ``filename``),
except PNG/JPEG/GIF/WebP recognised by their magic bytes, which are served inline with the
type the bytes prove. Every response carries ``nosniff``, a ``sandbox`` CSP and
``no-referrer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import time
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response

from rtk_widget.server.auth import TokenIssuer, UrlSigner
from rtk_widget.server.config import ServerConfig
from rtk_widget.server.identity import Identity
from rtk_widget.server.rest.responses import identify, json_error, request_token
from rtk_widget.server.store import messages as mq
from rtk_widget.server.store.db import Database
from rtk_widget.server.store.records import now_ms

FILE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=3600",
}
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image(head: bytes) -> str | None:
    """The raster image type the first bytes prove, or None."""
    for magic, offset, mime in MAGIC:
        if head[offset : offset + len(magic)] == magic and (mime != "image/webp" or head[:4] == b"RIFF"):
            return mime
    return None


def ascii_filename(name: str) -> str:
    """A safe ASCII stand-in for a file name (no quotes, separators or control characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", folded)
    cleaned = re.sub(r"_+", "_", cleaned).strip(" ._-")[:120]
    return cleaned or "download"


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266: ``kind; filename="ascii"`` plus ``filename*=UTF-8''...`` when they differ."""
    fallback = ascii_filename(name)
    header = f'{kind}; filename="{fallback}"'
    if name != fallback:
        header += "; filename*=UTF-8''" + quote(name, safe="")
    return header


class FileHost:
    def __init__(
        self, config: ServerConfig, db: Database, tokens: TokenIssuer, signer: UrlSigner, root: Path
    ) -> None:
        self.config = config
        self.db = db
        self.tokens = tokens
        self.signer = signer
        self.root = root
        self.tmp = root / "tmp"
        self._uploading: set[str] = set()

    def open(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)  # partial uploads of a previous run
        self.tmp.mkdir()

    def path(self, file_id: str) -> Path:
        return self.root / file_id

    async def create(
        self, identity: Identity, filename: str, base: str, expiry_s: int | None
    ) -> dict[str, str]:
        file_id = secrets.token_urlsafe(24)
        await self.db.write(
            lambda c: c.execute(
                "INSERT INTO files (id, meeting_id, uploader_id, filename, created_ms) VALUES (?,?,?,?,?)",
                (file_id, identity.meeting_id, identity.user_id, filename, now_ms()),
            )
        )
        ttl = min(expiry_s or self.config.upload_url_ttl_s, self.config.upload_url_ttl_s)
        expires = int(time.time()) + ttl
        sig = self.signer.sign("put", file_id, expires)
        return {
            "put_location": f"{base}/files/{file_id}?exp={expires}&sig={sig}",
            "get_location": f"{base}/files/{file_id}/{quote(ascii_filename(filename))}",
        }

    async def put(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if not FILE_ID.match(file_id) or not self.signer.check(
            "put", file_id, request.query_params.get("exp"), request.query_params.get("sig")
        ):
            return json_error(403, "invalid or expired upload URL")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.config.max_upload_bytes:
            return json_error(413, f"file is larger than {self.config.max_upload_bytes} bytes")
        row = await self.db.read(
            lambda c: c.execute("SELECT stored FROM files WHERE id = ?", (file_id,)).fetchone()
        )
        if row is None:
            return json_error(404, "unknown upload")
        if row[0] or file_id in self._uploading:
            return json_error(409, "this file was already uploaded")
        self._uploading.add(file_id)
        part = self.tmp / f"{file_id}.{secrets.token_hex(4)}.part"
        try:
            size = await self._receive(request, part)
            if size is None:
                return json_error(413, f"file is larger than {self.config.max_upload_bytes} bytes")
            mime = (request.headers.get("content-type") or "application/octet-stream")[:200]
            await asyncio.to_thread(os.replace, part, self.path(file_id))
            try:
                await self.db.write(
                    lambda c: c.execute(
                        "UPDATE files SET stored = 1, size = ?, content_type = ? WHERE id = ?",
                        (size, mime, file_id),
                    )
                )
            except BaseException:  # not recorded: no file either
                self.path(file_id).unlink(missing_ok=True)
                raise
        except ClientDisconnect:
            return Response(status_code=400)
        finally:
            self._uploading.discard(file_id)
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        return Response(status_code=200, headers={"ETag": f'"{file_id}"'})

    async def _receive(self, request: Request, part: Path) -> int | None:
        """Stream the body to ``part``; None (and nothing kept) once past the size limit."""
        size = 0
        handle = await asyncio.to_thread(open, part, "wb")
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.config.max_upload_bytes:
                    return None
                if chunk:
                    await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.flush)
            await asyncio.to_thread(os.fsync, handle.fileno())
        finally:
            handle.close()
        return size

    async def get(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if not FILE_ID.match(file_id):
            return json_error(404, "no such file")
        row = await self.db.read(
            lambda c: c.execute("SELECT * FROM files WHERE id = ? AND stored = 1", (file_id,)).fetchone()
        )
        if row is None or not self.path(file_id).exists():
            return json_error(404, "no such file")
        token = request_token(request)
        if token:
            refusal = await self._refusal(token, row)
            if refusal is not None:
                return refusal
        head = await asyncio.to_thread(self._head, file_id)
        image = sniff_image(head)
        headers = dict(SECURITY_HEADERS)
        headers["Content-Disposition"] = content_disposition(
            "inline" if image else "attachment", row["filename"]
        )
        return FileResponse(
            self.path(file_id), media_type=image or "application/octet-stream", headers=headers
        )

    def _head(self, file_id: str) -> bytes:
        with open(self.path(file_id), "rb") as handle:
            return handle.read(16)

    async def _refusal(self, token: str, row: sqlite3.Row) -> Response | None:
        who = await identify(self.db, self.tokens, token)
        if isinstance(who, Response):
            return who
        if who.user_id == row["uploader_id"]:
            return None
        if who.meeting_id != row["meeting_id"]:
            return json_error(403, "this file belongs to another meeting")
        audiences: list[Any] = await self.db.read(lambda c: mq.file_audiences(c, row["id"]))
        if audiences and all(a is not None and who.user_id not in a for a in audiences):
            return json_error(403, "this file was shared privately")
        return None
