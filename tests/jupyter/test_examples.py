"""examples.ipynb runs top to bottom in a real kernel and saves no chat content or token."""

from __future__ import annotations

import json
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


def test_examples_notebook_runs_headless(tmp_path):
    nb = nbformat.read(EXAMPLES, as_version=4)
    client = NotebookClient(
        nb, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    text = {cell.source.splitlines()[0]: outputs_text(cell) for cell in code}
    assert "Good question, Ada!" in text['question = chat.send_text("Is anyone else here?")']
    changes = text["chat.pin(reply.id)"]
    assert "'pinned': ['Good question, Ada!" in changes
    assert "(edited)" in changes
    frame = text["frame = chat.to_pandas()"]
    assert "Quizbot" in frame
    assert "numbers.csv" in frame
    assert "Is anyone else here?" not in frame
    assert text['bot.chat.off("newMessage", answer)'].strip() == "False"

    # Saved widget state: the panel's model is there, chat content and credentials are not.
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "ChatWidget" in state or "anywidget" in state
    assert "Hello from Python" not in state
    assert "Good question" not in state
    assert "Bearer" not in state
    assert "eyJ" not in json.dumps(nb)  # no participant token (a JWT) anywhere in the saved notebook
