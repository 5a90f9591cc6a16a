"""Checks on the panel's layout options before they reach the browser."""

from __future__ import annotations

import re

MIN_HEIGHT_PX = 120
"""Below this the panel cannot show its header, one row and the composer."""

_CSS_LENGTH = re.compile(r"(\d+(\.\d+)?)(px|em|rem|vh|svh|dvh|lh|%)")


def css_height(value: object) -> str | int:
    """``value`` if it is a height the panel can take: pixels as an int, or a CSS length."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        kind = type(value).__name__
        raise TypeError(f"height must be pixels (an int) or a CSS length like '60vh', not {kind}")
    if isinstance(value, int):
        if value < MIN_HEIGHT_PX:
            raise ValueError(f"height must be at least {MIN_HEIGHT_PX} pixels, got {value}")
        return value
    if _CSS_LENGTH.fullmatch(value.strip()) is None:
        raise ValueError(f"height must be a CSS length like '480px', '60vh' or '30em', got {value!r}")
    return value.strip()
