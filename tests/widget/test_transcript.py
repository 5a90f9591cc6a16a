"""The conversation the front end's fake kernel is checked against is the real handlers' own."""

from __future__ import annotations

from .transcript import TARGET, record, render


def test_the_recorded_conversation_is_what_the_handlers_answer_today():
    assert TARGET.read_text() == render(record()), "record again: .venv/bin/python -m tests.widget.transcript"
