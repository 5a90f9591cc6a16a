"""The README's first-screen example runs as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def first_python_block() -> str:
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "README has no python example"
    return match.group(1)


def test_readme_example_runs_and_the_message_is_stored():
    code = first_python_block()
    assert len(code.strip().splitlines()) <= 6, "the first-screen example should stay about five lines"
    check = (
        "\nassert [m.text for m in widget.messages] == ['Hello from Python'], widget.messages"
        "\nprint('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code + check], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
