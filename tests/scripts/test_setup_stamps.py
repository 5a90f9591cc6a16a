"""scripts/_setup.sh skips installs whose inputs did not change.

The set-up functions run in a copy of the repository's inputs with `npm` and pip replaced by
recorders (the steps' outputs are created as the real tools would), so the test sees exactly
which installs a launch would run: all on the first, none on the second, and only the affected
ones after an input changes or an output disappears.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

RECORDERS = """
npm() {
  echo "npm $* in ${PWD##*/}" >>"$CALLS"
  case "$1" in
    ci) mkdir -p node_modules ;;
    run) mkdir -p ../rtk_widget/static
         touch ../rtk_widget/static/widget.js ../rtk_widget/static/widget.css ;;
  esac
}
quiet_pip() { echo "pip ${*: -2}" >>"$CALLS"; touch rtk_widget/wire/chat_pb2.py; }
"""
LAUNCH = "ensure_venv; build_front_end; install_package test; npm_install tests/sdk"


def make_copy(tmp: Path) -> Path:
    root = tmp / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "_setup.sh", root / "scripts")
    for name in ("pyproject.toml", "hatch_build.py"):
        shutil.copy(REPO / name, root)
    shutil.copytree(REPO / "js" / "src", root / "js" / "src")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(REPO / "js" / name, root / "js")
    (root / "tests" / "sdk").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "sdk" / "package-lock.json", root / "tests" / "sdk")
    (root / "rtk_widget" / "wire").mkdir(parents=True)
    for proto in (REPO / "rtk_widget" / "wire").glob("*.proto"):
        shutil.copy(proto, root / "rtk_widget" / "wire")
    # An existing virtual environment (its python is all ensure_venv looks for).
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    return root


def launch(root: Path) -> list[str]:
    calls = root / "calls.log"
    calls.write_text("")
    script = f"source scripts/_setup.sh\n{RECORDERS}\n{LAUNCH}\n"
    subprocess.run(["bash", "-c", script], cwd=root, env={"CALLS": str(calls), "PATH": "/usr/bin:/bin"},
                   check=True, timeout=60)
    return calls.read_text().splitlines()


def test_a_second_launch_installs_nothing_and_a_change_reruns_only_its_step(tmp_path):
    root = make_copy(tmp_path)
    first = launch(root)
    assert first == [
        "pip --upgrade pip",
        "npm ci --no-audit --no-fund --loglevel=error in js",
        "npm run --silent build in js",
        "pip -e .[test]",
        "npm ci --no-audit --no-fund --loglevel=error in sdk",
    ]
    assert launch(root) == []

    (root / "js" / "src" / "index.ts").write_text("// changed\n", encoding="utf-8")
    assert launch(root) == ["npm run --silent build in js"]

    (root / "rtk_widget" / "static" / "widget.js").unlink()
    assert launch(root) == ["npm run --silent build in js"]

    with (root / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency\n")
    assert launch(root) == ["pip -e .[test]"]

    with (root / "tests" / "sdk" / "package-lock.json").open("a") as lock:
        lock.write("\n")
    assert launch(root) == ["npm ci --no-audit --no-fund --loglevel=error in sdk"]

    # A fresh virtual environment starts over.
    shutil.rmtree(root / ".venv")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    shutil.rmtree(root / "js" / "node_modules")
    assert launch(root)[:2] == ["pip --upgrade pip", "npm ci --no-audit --no-fund --loglevel=error in js"]
