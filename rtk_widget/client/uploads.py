"""Uploading images and files like the SDK (reading them is :mod:`rtk_widget.client.sources`).

The SDK's flow: ``POST /v2/meetings/chat-upload`` ``{roomUUID, filename}`` → ``PUT
put_location`` with the raw bytes and the file's Content-Type and no Authorization →
the message carries ``get_location``.
"""

from __future__ import annotations

from typing import Any

import httpx

from rtk_widget.client.errors import UploadError
from rtk_widget.client.sources import FileSource, UploadFile, as_image, file_upload, image_mime, image_upload

__all__ = ["UPLOAD_TIMEOUT", "FileSource", "UploadFile", "Uploader", "as_image", "image_mime", "image_upload",
           "read_source"]

UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=8.0)
"""The PUT of a large file may take a while; connecting may not."""


def read_source(source: object, name: str | None = None) -> UploadFile:
    """Load what ``meeting.chat.send_file_message`` was given (see :mod:`rtk_widget.client.sources`)."""
    return file_upload(source, name)


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
