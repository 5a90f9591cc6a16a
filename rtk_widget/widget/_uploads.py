"""Reassembly of uploads the front end sends in chunks over the comm."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._errors import RequestError

MAX_PENDING_UPLOADS = 8
"""Unfinished uploads kept at once; bounds the memory a misbehaving front end can pin."""


@dataclass(slots=True)
class Upload:
    """One upload: declared name, type and size, and the chunks received so far."""

    name: str
    mime: str
    size: int
    chunks: list[bytes] = field(default_factory=list)
    received: int = 0
    complete: bool = False

    def data(self) -> bytes:
        """The reassembled bytes."""
        return b"".join(self.chunks)


class Uploads:
    """Chunked uploads by id, each checked against its declared size and the limit.

    Chunks must arrive in order (index 0, 1, 2, ...). Any violation drops the
    upload, so a refused upload never lingers in memory.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pending: dict[str, Upload] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add_chunk(
        self, upload_id: str, *, index: int, last: bool, name: str, mime: str, size: int, chunk: bytes
    ) -> int:
        """Append a chunk and return the bytes received so far for this upload."""
        if index == 0:
            if size > self.max_bytes:
                self._pending.pop(upload_id, None)
                raise RequestError(
                    "upload_refused", f"{name!r} is {size} bytes; the limit is {self.max_bytes} bytes"
                )
            if size < 0:
                raise RequestError("invalid", f"negative upload size {size}")
            if upload_id not in self._pending and len(self._pending) >= MAX_PENDING_UPLOADS:
                raise RequestError("upload_refused", f"more than {MAX_PENDING_UPLOADS} uploads in progress")
            self._pending[upload_id] = Upload(name, mime, size)
        upload = self._pending.get(upload_id)
        if upload is None:
            raise RequestError("invalid", f"upload {upload_id!r} has no chunk 0")
        if upload.complete or index != len(upload.chunks):
            self._pending.pop(upload_id, None)
            raise RequestError("invalid", f"upload {upload_id!r}: chunk {index} out of order")
        if upload.received + len(chunk) > upload.size:
            self._pending.pop(upload_id, None)
            raise RequestError(
                "upload_refused", f"upload {upload_id!r} sent more than its declared {upload.size} bytes"
            )
        upload.chunks.append(chunk)
        upload.received += len(chunk)
        if last:
            if upload.received != upload.size:
                self._pending.pop(upload_id, None)
                raise RequestError(
                    "invalid", f"upload {upload_id!r} ended at {upload.received} of {upload.size} bytes"
                )
            upload.complete = True
        return upload.received

    def take(self, upload_id: str) -> Upload:
        """Remove and return a complete upload."""
        upload = self._pending.get(upload_id)
        if upload is None or not upload.complete:
            raise RequestError("invalid", f"upload {upload_id!r} is unknown or incomplete")
        del self._pending[upload_id]
        return upload

    def discard(self, upload_id: str) -> None:
        """Forget an upload (cancelled by the front end)."""
        self._pending.pop(upload_id, None)
