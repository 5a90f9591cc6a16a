"""Test helpers: record what the widget sends, wait for trait changes, inject comm messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from rtk_widget.widget import ChatWidget

TIMEOUT = 20.0  # generous: CI machines are shared


class Recorder:
    """Stands in for ``widget.send``: keeps every message the widget sends to the front end."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self._changed = threading.Condition()

    def __call__(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        with self._changed:
            self.sent.append((content, list(buffers or [])))
            self._changed.notify_all()

    def wait(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
    ) -> tuple[dict[str, Any], list[bytes]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for content, buffers in self.sent:
                    if predicate(content):
                        return content, buffers
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    raise AssertionError(f"nothing matched within {timeout} s; sent: {self.sent[-5:]}")

    def reply(self, request_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait(lambda c: c.get("id") == request_id, timeout)[0]

    def pushes(self, kind: str) -> list[dict[str, Any]]:
        with self._changed:
            return [content for content, _ in self.sent if content.get("kind") == kind]


class Watch:
    """Observes ``widget.messages`` and lets a test wait for a state."""

    def __init__(self, widget: ChatWidget, name: str = "messages") -> None:
        self.widget = widget
        self.name = name
        self.changes: list[list[Any]] = []
        self._changed = threading.Condition()
        widget.observe(self._on_change, name)

    def _on_change(self, change: dict[str, Any]) -> None:
        with self._changed:
            self.changes.append(change["new"])
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = TIMEOUT) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(getattr(self.widget, self.name)):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    raise AssertionError(f"{self.name} never matched; now {getattr(self.widget, self.name)}")
            return list(getattr(self.widget, self.name))


_ids = iter(range(1, 1_000_000))


def request(widget: ChatWidget, kind: str, msg: dict[str, Any], buffers: list[bytes] | None = None) -> str:
    """Deliver ``{kind, id, msg}`` through ipywidgets' comm message entry point; returns the id."""
    request_id = f"r{next(_ids)}"
    deliver(widget, {"kind": kind, "id": request_id, "msg": msg}, buffers)
    return request_id


def deliver(widget: ChatWidget, content: Any, buffers: list[bytes] | None = None) -> None:
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
    )


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (red and blue columns)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes([255, 0, 0, 0, 0, 255] * (width // 2 or 1))[: width * 3]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
