"""The chat beside the notebook: the panel shown in JupyterLab's side or split area.

JupyterLab gives kernels no way to place output outside a cell; the ``sidecar`` package adds
one (an ipywidgets Output whose front end is a Lab panel), so it is used rather than rebuilt.
The notebook keeps driving the same widget: it is one model shown twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ._widget import ChatWidget

Anchor = Literal["right", "split-right", "split-left", "split-bottom", "tab-after"]
ANCHORS: tuple[Anchor, ...] = ("right", "split-right", "split-left", "split-bottom", "tab-after")
SIDE_HEIGHT = "85vh"
"""Tall enough to fill Lab's side area without scrolling it (the header and status bar stay)."""


def open_side(widget: ChatWidget, *, title: str | None = None, anchor: Anchor = "right") -> Any:
    """Show ``widget`` in JupyterLab's side area (``anchor="right"``) or beside the notebook
    (``"split-right"`` and the other anchors); returns the ``sidecar.Sidecar`` (close it to
    take the panel away)."""
    if anchor not in ANCHORS:
        choices = ", ".join(ANCHORS)
        raise ValueError(f"ChatWidget.open_side(anchor=...) must be one of {choices}; got {anchor!r}")
    try:
        from sidecar import Sidecar  # type: ignore[import-untyped]  # untyped: an ipywidgets Output
    except ImportError as exc:
        raise ImportError(
            "ChatWidget.open_side() needs the sidecar package (JupyterLab only): "
            "pip install 'rtk-widget[lab]' or pip install sidecar, then reload the JupyterLab page"
        ) from exc

    side = Sidecar(title=title or widget.title or "Chat", anchor=anchor)
    if widget.height == "480px":
        widget.height = SIDE_HEIGHT
    # Output widgets capture what is displayed inside them; this is IPython's display(widget).
    side.append_display_data(widget)
    return side
