"""The harness itself: Lab starts, a notebook runs, the kernel can be queried."""

from __future__ import annotations

import pytest

from .lab import open_and_run, run_in_kernel

pytestmark = [pytest.mark.jupyter, pytest.mark.browser]


def test_lab_runs_a_notebook_and_answers_kernel_queries(lab, page):
    lab.write_notebook("smoke.ipynb", ["answer = 6 * 7\nprint('answer is', answer)"])
    open_and_run(page, lab, "smoke.ipynb")
    page.get_by_text("answer is 42").wait_for()
    assert run_in_kernel(page, "answer += 1", "{'answer': answer}") == {"answer": 43}
