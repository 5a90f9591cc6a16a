"""Images and files: reading what the caller passed, checking it, uploading it like the SDK.

The SDK's flow (rtk-protocol.md 2, #4 and #5): ``POST /v2/meetings/chat-upload``
``{roomUUID, filename}`` → ``PUT put_location`` with the raw bytes and the file's
Content-Type and no Authorization → the message carries ``get_location``.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from rtk_widget.client.errors import EmptyMessageError, UnsupportedImageTypeError, UploadError

FileSource = str | os.PathLike[str] | bytes | bytearray | IO[bytes] | tuple[str, bytes]
"""A path, bytes (with ``name=``), a binary file object, or ``(name, bytes)``."""

UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=8.0)
"""The PUT of a large file may take a while; connecting may not."""

_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class UploadFile:
    """A file ready to upload."""

    name: str
    data: bytes
    mime: str

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


def image_mime(data: bytes) -> str | None:
    """``image/jpeg``, ``image/png`` or ``image/gif`` from the magic bytes; None for anything else."""
    for signature, mime in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    return None


def read_source(source: FileSource, name: str | None = None) -> UploadFile:
    """Load ``source`` into memory; raises :class:`EmptyMessageError` for an empty file.

    Bytes need ``name=`` (or pass ``(name, bytes)``); file objects use their ``name``
    attribute when ``name`` is not given.
    """
    if isinstance(source, tuple):
        name, data = name or source[0], bytes(source[1])
    elif isinstance(source, bytes | bytearray):
        if not name:
            raise ValueError("bytes need a file name: pass name='photo.png' or a (name, bytes) tuple")
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        data = path.read_bytes()
        name = name or path.name
    else:
        data = source.read()
        if not isinstance(data, bytes):
            raise TypeError("file objects must be opened in binary mode ('rb')")
        name = name or Path(str(getattr(source, "name", "") or "")).name
        if not name:
            raise ValueError("this file object has no name: pass name='report.pdf'")
    if not data:
        raise EmptyMessageError(f"{name} is empty")
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return UploadFile(name=name, data=data, mime=mime)


def as_image(upload: UploadFile) -> UploadFile:
    """Check that ``upload`` really is a JPEG, PNG or GIF (by its bytes) and set the true type."""
    mime = image_mime(upload.data)
    if mime is None:
        raise UnsupportedImageTypeError(
            f"{upload.name} is not a JPEG, PNG or GIF image (checked its bytes); "
            "send it with send_file_message")
    return UploadFile(name=upload.name, data=upload.data, mime=mime)


class Uploader:
    """Uploads files through the meeting's REST API (one httpx client on the network loop)."""

    def __init__(self, http: httpx.AsyncClient, api_base: str, meeting_id: str,
                 headers: dict[str, str]) -> None:
        self._http = http
        self._api_base = api_base
        self._meeting_id = meeting_id
        self._headers = headers

    async def upload(self, upload: UploadFile) -> str:
        """Upload and return the download URL (``get_location``); raises :class:`UploadError`."""
        try:
            response = await self._http.post(f"{self._api_base}/v2/meetings/chat-upload",
                                              json={"roomUUID": self._meeting_id, "filename": upload.name},
                                              headers=self._headers)
        except httpx.HTTPError as exc:
            raise UploadError(f"could not reach the upload service: {exc}") from exc
        locations = _locations(response)
        try:
            put = await self._http.put(locations["put_location"], content=upload.data,
                                       headers={"Content-Type": upload.mime}, timeout=UPLOAD_TIMEOUT)
        except httpx.HTTPError as exc:
            raise UploadError(f"uploading {upload.name} failed: {exc}") from exc
        if put.status_code >= 300:
            raise UploadError(f"uploading {upload.name} failed: HTTP {put.status_code} {put.text[:200]}")
        return locations["get_location"]


def _locations(response: httpx.Response) -> dict[str, str]:
    if response.status_code >= 300:
        raise UploadError(f"the upload was refused: HTTP {response.status_code} {response.text[:200]}")
    try:
        body: Any = response.json()
        data = body["data"]
        return {"get_location": str(data["get_location"]), "put_location": str(data["put_location"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise UploadError(f"unexpected chat-upload answer: {response.text[:200]}") from exc
