"""examples-cloudflare.ipynb runs top to bottom in a real kernel, offline (no Cloudflare
credentials: the SDK talks to the embedded server), and saves no token."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.jupyter.test_examples import outputs_text

pytestmark = pytest.mark.jupyter

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples-cloudflare.ipynb"


def text_of(cell: nbformat.NotebookNode) -> str:
    """The cell's printed and displayed text, whitespace runs as one space."""
    return " ".join(outputs_text(cell).split())


def test_the_cloudflare_tour_runs_offline(tmp_path, monkeypatch):
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)  # the kernel inherits this environment
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert "offline (embedded server)" in text_of(code[0])
    assert text_of(code[2]) == (
        "('group_call_participant', ['Welcome to the Cloudflare tour', 'Hi Ada, the numbers are in', "
        '"Great, let\'s look at them after the call"])'
    )
    assert text_of(code[3]) == "[('LIVE', 2)]"
    frame = text_of(code[4])
    for expected in ("Welcome to the Cloudflare tour", "Bob", "Hi Ada, the numbers are in"):
        assert expected in frame
    assert text_of(code[5]) == "('Ada', \"Great, let's look at them after the call\")"
    # The replay panel: the session fetched through the SDK, then moved from Python.
    assert "3 of 3 messages shown" in text_of(code[6])
    assert text_of(code[7]) == "(['Welcome to the Cloudflare tour'], 3)"
    assert text_of(code[8]).startswith("(True, 'Past session, ")
    assert "eyJ" not in json.dumps(nb)  # no participant token anywhere in the executed notebook
