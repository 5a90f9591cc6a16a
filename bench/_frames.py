"""Count what the kernel sends to the browser, frame by frame, as Chromium receives it.

JupyterLab talks to a kernel over one WebSocket per kernel (``/api/kernels/<id>/channels``).
Playwright reports every frame the page receives; this module decodes just enough of each
frame (its channel and ``msg_type``) to tell output traffic (comm messages, display data)
from the execution bookkeeping a trigger causes (status, execute_input, replies).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

# iopub messages that are bookkeeping of an execution, not output a widget produced.
BOOKKEEPING = frozenset({"status", "execute_input"})


@dataclass(frozen=True, slots=True)
class Frame:
    """One received kernel frame: where it came from and how many bytes it took on the wire."""

    channel: str
    msg_type: str
    size: int

    @property
    def is_output(self) -> bool:
        return self.channel == "iopub" and self.msg_type not in BOOKKEEPING


def parse_frame(payload: str | bytes) -> Frame:
    """Decode a frame of either kernel WebSocket protocol (legacy JSON or v1 binary)."""
    if isinstance(payload, str):
        message = json.loads(payload)
        return Frame(message.get("channel", ""), message["header"]["msg_type"], len(payload.encode()))
    # v1.kernel.websocket.jupyter.org: n, then n little-endian u64 offsets of
    # channel, header, parent header, metadata, content, buffers...
    count = int.from_bytes(payload[0:8], "little")
    offsets = [int.from_bytes(payload[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    channel = payload[offsets[0]:offsets[1]].decode()
    header = json.loads(payload[offsets[1]:offsets[2]])
    return Frame(channel, header["msg_type"], len(payload))


@dataclass(frozen=True, slots=True)
class Traffic:
    """Output frames received in a window: how many and how many bytes."""

    frames: int
    size: int

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(self.frames + other.frames, self.size + other.size)


class KernelTraffic:
    """Records every frame the page receives on kernel sockets; windows are cut by :meth:`mark`."""

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._lock = threading.Lock()

    def attach(self, page: Any) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket: Any) -> None:
        if "/channels" in socket.url:
            socket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        frame = parse_frame(payload)
        with self._lock:
            self._frames.append(frame)

    def mark(self) -> int:
        """A position to measure from."""
        with self._lock:
            return len(self._frames)

    def describe_since(self, mark: int) -> str:
        """Output frames after ``mark`` as ``msg_type:bytes`` (for ``--verbose``)."""
        with self._lock:
            return " ".join(f"{f.msg_type}:{f.size}" for f in self._frames[mark:] if f.is_output)

    def output_since(self, mark: int) -> Traffic:
        """Output frames received after ``mark``."""
        with self._lock:
            window = [f for f in self._frames[mark:] if f.is_output]
        return Traffic(len(window), sum(f.size for f in window))
