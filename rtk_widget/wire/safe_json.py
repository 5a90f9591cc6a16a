"""JSON from other people, parsed with a nesting limit.

``json.loads`` recurses once per ``[`` or ``{``: a few thousand of them (a 60 KB body) raise
``RecursionError``, which is not a ``ValueError`` and so escaped every ``except ValueError``
around a parse as a crash. :func:`loads` measures the nesting first, with a scan that does
not recurse, and refuses anything deeper than ``max_depth``; every failure (too deep, not
UTF-8, malformed, NaN or Infinity, which are not JSON) is a :class:`ValueError`.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Deeper than anything RealtimeKit's bodies and payloads use (presets nest 5 levels)."""

# A JSON string (its escapes skipped), or one bracket outside strings.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


class TooDeepError(ValueError):
    """The JSON nests deeper than allowed."""


def nesting_depth(data: bytes, stop_above: int) -> int:
    """How deeply ``data`` nests (an unclosed string's brackets count too), up to ``stop_above + 1``."""
    if data.count(b"[") + data.count(b"{") <= stop_above:
        return 0  # too few brackets to be too deep: skip the scan
    depth = deepest = 0
    for token in _TOKEN.finditer(data):
        first = token.group()[0]
        if first in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    break
        elif first != 0x22:  # a closing bracket (0x22 is the quote that starts a string)
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data`` (UTF-8 if bytes); ``ValueError`` for anything that is not plain JSON
    nesting at most ``max_depth`` levels."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if nesting_depth(raw, max_depth) > max_depth:
        raise TooDeepError(f"JSON nested deeper than {max_depth} levels")
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:  # not reachable under the depth check; kept as the last guard
        raise TooDeepError("JSON nested too deeply") from exc
