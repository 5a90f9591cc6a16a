"""ChatWidget.open_side(): the same widget shown in JupyterLab's side area through sidecar."""

from __future__ import annotations

import pytest
from sidecar import Sidecar

from rtk_widget.widget import ChatWidget

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_open_side_displays_this_widget_in_a_sidecar_filling_its_height(widget: ChatWidget) -> None:
    side = widget.open_side(title="Team chat", anchor="split-right")
    try:
        assert isinstance(side, Sidecar)
        assert (side.title, side.anchor) == ("Team chat", "split-right")
        [output] = side.outputs
        assert output["data"][WIDGET_VIEW]["model_id"] == widget.model_id
        assert widget.height == "85vh"
    finally:
        side.close()


def test_open_side_keeps_a_height_the_user_chose_and_refuses_unknown_anchors(widget: ChatWidget) -> None:
    widget.height = 300
    side = widget.open_side()
    side.close()
    assert widget.height == 300
    with pytest.raises(ValueError, match=r"open_side\(anchor=...\) must be one of right, split-right"):
        widget.open_side(anchor="top")  # type: ignore[arg-type]
