"""The README's main command, `bash scripts/lab.sh`, installs and serves the tour notebook."""

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.jupyter
def test_lab_command_serves_examples_notebook():
    port, token = free_port(), "rtk-lab-command-test"
    command = ["bash", "scripts/lab.sh", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 240  # includes the install steps
        while True:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            assert line is not None, "lab.sh exited before serving:\n" + "".join(seen[-30:])
            seen.append(line)
            if "is running at" in line:
                break
        response = httpx.get(f"http://127.0.0.1:{port}/api/contents/examples.ipynb",
                             params={"content": "0"}, headers={"Authorization": f"token {token}"}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["type"] == "notebook"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
