# Shared set-up for scripts/lab.sh and scripts/test.sh (sourced, not run).
# Creates .venv, builds the front end and installs the package with the given extras.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Some machines' pip configuration names local indexes that may not exist; that warning is noise.
quiet_pip() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  grep -v "^WARNING: Location 'file:" "$log" || true
  rm -f "$log"
  return "$status"
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
  quiet_pip .venv/bin/python -m pip install -q --upgrade pip
}

build_front_end() {
  # Built before the Python install so the build hook finds the bundle and skips npm.
  (cd js && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
}

install_package() {
  quiet_pip .venv/bin/python -m pip install -q -e ".[$1]"
}
