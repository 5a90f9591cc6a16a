"""The README's first-screen example runs as written, through Cloudflare's official SDK.

The SDK takes its API token, account and base URL from the environment (``CLOUDFLARE_*``); here
they name an rtk-widget server on 127.0.0.1 instead of Cloudflare, so the example's first line
creates a meeting, adds a participant and joins exactly as it would against RealtimeKit.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtk_widget.server import ServerConfig
from tests.server.threaded import ThreadedServer

README = Path(__file__).resolve().parents[1] / "README.md"


def first_python_block() -> str:
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "README has no python example"
    return match.group(1)


@pytest.fixture
def cloudflare_env() -> Iterator[dict[str, str]]:
    served = ThreadedServer(ServerConfig(account_id="acct-readme", app_id="app-readme"))
    try:
        env = {
            **os.environ,
            "CLOUDFLARE_API_TOKEN": served.server.api_token,
            "CLOUDFLARE_ACCOUNT_ID": "acct-readme",
            "CLOUDFLARE_BASE_URL": f"{served.server.base_url}/client/v4",
        }
        yield env
    finally:
        served.stop()


def test_readme_example_runs_and_the_message_is_stored(cloudflare_env):
    code = first_python_block()
    lines = [line for line in code.strip().splitlines() if not line.lstrip().startswith("#")]
    assert len(lines) <= 6, "the first-screen example should stay about five lines"
    assert "from_cloudflare" in code, "Cloudflare users come first"
    check = (
        "\nassert [m.text for m in widget.messages] == ['Hello from Python'], widget.messages"
        "\nassert meeting.title is not None"
        "\nprint('ok', meeting.meeting_id)\n"
    )
    result = subprocess.run([sys.executable, "-c", code + check], capture_output=True, text=True, timeout=120,
                            check=False, env=cloudflare_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("ok ")
