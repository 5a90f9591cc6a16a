"""Chunked upload reassembly: order, declared size, the limit."""

from __future__ import annotations

import pytest

from rtk_widget.widget._errors import RequestError
from rtk_widget.widget._uploads import MAX_PENDING_UPLOADS, Uploads


def test_reassembles_chunks_in_order():
    uploads = Uploads(max_bytes=100)
    assert (
        uploads.add_chunk("u1", index=0, last=False, name="a.txt", mime="text/plain", size=6, chunk=b"abc")
        == 3
    )
    assert (
        uploads.add_chunk("u1", index=1, last=True, name="a.txt", mime="text/plain", size=6, chunk=b"def")
        == 6
    )
    upload = uploads.take("u1")
    assert (upload.name, upload.mime, upload.data()) == ("a.txt", "text/plain", b"abcdef")
    assert len(uploads) == 0


def test_refuses_a_declared_size_over_the_limit():
    uploads = Uploads(max_bytes=10)
    with pytest.raises(RequestError, match="limit is 10 bytes") as caught:
        uploads.add_chunk(
            "u1", index=0, last=False, name="big.bin", mime="application/octet-stream", size=11, chunk=b"x"
        )
    assert caught.value.code == "upload_refused"
    assert len(uploads) == 0


def test_refuses_more_bytes_than_declared_and_forgets_the_upload():
    uploads = Uploads(max_bytes=100)
    uploads.add_chunk("u1", index=0, last=False, name="a", mime="x/y", size=4, chunk=b"abc")
    with pytest.raises(RequestError, match="more than its declared 4 bytes"):
        uploads.add_chunk("u1", index=1, last=True, name="a", mime="x/y", size=4, chunk=b"de")
    with pytest.raises(RequestError, match="unknown or incomplete"):
        uploads.take("u1")


def test_out_of_order_short_or_unstarted_uploads_are_invalid():
    uploads = Uploads(max_bytes=100)
    with pytest.raises(RequestError, match="no chunk 0") as caught:
        uploads.add_chunk("u1", index=1, last=True, name="a", mime="x/y", size=4, chunk=b"abcd")
    assert caught.value.code == "invalid"
    uploads.add_chunk("u2", index=0, last=False, name="a", mime="x/y", size=4, chunk=b"ab")
    with pytest.raises(RequestError, match="out of order"):
        uploads.add_chunk("u2", index=2, last=True, name="a", mime="x/y", size=4, chunk=b"cd")
    with pytest.raises(RequestError, match="ended at 2 of 4 bytes"):
        uploads.add_chunk("u3", index=0, last=True, name="a", mime="x/y", size=4, chunk=b"ab")
    with pytest.raises(RequestError, match="unknown or incomplete"):
        uploads.take("u2")


def test_bounds_the_number_of_unfinished_uploads():
    uploads = Uploads(max_bytes=100)
    for n in range(MAX_PENDING_UPLOADS):
        uploads.add_chunk(f"u{n}", index=0, last=False, name="a", mime="x/y", size=4, chunk=b"a")
    with pytest.raises(RequestError, match="uploads in progress"):
        uploads.add_chunk("one-more", index=0, last=False, name="a", mime="x/y", size=4, chunk=b"a")
    uploads.discard("u0")
    assert uploads.add_chunk("one-more", index=0, last=False, name="a", mime="x/y", size=4, chunk=b"a") == 1
