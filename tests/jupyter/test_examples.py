"""examples.ipynb runs top to bottom in a real kernel, leaves a live panel, saves no chat content or token."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.jupyter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples.ipynb"


def outputs_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def cell_with(nb: nbformat.NotebookNode, fragment: str) -> nbformat.NotebookNode:
    matches = [cell for cell in nb.cells if cell.cell_type == "code" and fragment in cell.source]
    assert len(matches) == 1, f"{len(matches)} code cells contain {fragment!r}"
    return matches[0]


def test_examples_notebook_runs_headless_and_leaves_a_live_panel(tmp_path):
    nb = nbformat.read(EXAMPLES, as_version=4)
    client = NotebookClient(
        nb, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    # Run All, then ask the same kernel whether the chat is still live.
    probe = nbformat.v4.new_code_cell(
        "print(chat.comm is not None, meeting.joined, helper.joined, len(chat.messages))")
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        nb.cells.pop()
        client.set_widgets_metadata()

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    still_live, joined, bot_joined, count = outputs_text(probe).split()
    assert (still_live, joined, bot_joined) == ("True", "True", "True")

    shared = outputs_text(cell_with(nb, "plot = chat.send_image(fig)"))
    assert "Ada: figure.png>" in shared
    assert "Ada: signups.csv, " in shared
    assert "Signups grew 333% over 6 weeks" in outputs_text(cell_with(nb, "await chat.next_message"))
    assert outputs_text(cell_with(nb, 'to="Bob"')).strip() == (
        "(True, ['Bob, week 4 dipped - could you check the tracking that week?'])")
    assert outputs_text(cell_with(nb, "chat.pin(plot.id)")).strip() == "(['image'], 1)"
    frame = outputs_text(cell_with(nb, "frame = chat.to_pandas()"))
    for expected in ("Helper bot", "signups.csv", "Good question, Ada!", "Great, share what you find."):
        assert expected in frame
    assert int(count) == 7  # greeting, Bob, plot, CSV, question, the bot's answer, the private note

    # Saved widget state: the panel's model is there, chat content and credentials are not.
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "ChatWidget" in state or "anywidget" in state
    assert "Looking at last week" not in state
    assert "Good question" not in state
    assert "Bearer" not in state
    # No participant token (a JWT: two base64 JSON segments) anywhere in the saved notebook.
    assert re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", json.dumps(nb)) is None
