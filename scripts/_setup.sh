# Shared set-up for scripts/lab.sh and scripts/test.sh (sourced, not run).
# Creates .venv, builds the front end and installs the package with the given extras. Each step
# records a hash of its inputs in .venv/.rtkw-stamps and is skipped while those inputs and its
# outputs are unchanged, so a second launch starts in seconds (a fresh .venv starts over).
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

STAMPS=.venv/.rtkw-stamps

# One hash over the names and contents of the given files and of every file under given directories.
inputs_hash() {
  find "$@" -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

# True when step $1 last ran with inputs hashing to $2 (and the caller's outputs still exist).
up_to_date() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }

record() { mkdir -p "$STAMPS" && printf '%s' "$2" >"$STAMPS/$1"; }

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    rm -rf "$STAMPS"
  fi
  if ! up_to_date pip-upgraded done; then
    quiet_pip .venv/bin/python -m pip install -q --upgrade pip
    record pip-upgraded done
  fi
}

# `npm ci` in directory $1 unless its lock file and node_modules are as last installed.
npm_install() {
  local dir=$1 name=npm-${1//\//-} hash
  hash=$(inputs_hash "$dir/package-lock.json")
  if up_to_date "$name" "$hash" && [ -d "$dir/node_modules" ]; then return 0; fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  record "$name" "$hash"
}

build_front_end() {
  # Built before the Python install so the build hook finds the bundle and skips npm.
  npm_install js
  local hash
  hash=$(inputs_hash js/src js/package.json js/package-lock.json)
  if up_to_date bundle "$hash" && [ -f rtk_widget/static/widget.js ] && [ -f rtk_widget/static/widget.css ]; then
    return 0
  fi
  (cd js && npm run --silent build)
  record bundle "$hash"
}

# pip install -e ".[extras]" unless pyproject.toml, the build hook and the .proto files (compiled at
# install) are as last installed with these extras, and the compiled protocol is still there.
install_package() {
  local hash
  hash=$(inputs_hash pyproject.toml hatch_build.py rtk_widget/wire/*.proto)
  if up_to_date "pip-$1" "$hash" && compgen -G "rtk_widget/wire/*_pb2.py" >/dev/null; then return 0; fi
  quiet_pip .venv/bin/python -m pip install -q -e ".[$1]"
  record "pip-$1" "$hash"
}
