#!/usr/bin/env bash
# Install everything the tests need (Chromium from Debian, Python and npm packages) and run every test:
# static checks, the front end's unit tests, then pytest (server, client, widget, official SDK in
# Chromium, real Jupyter kernel and JupyterLab). Extra arguments go to pytest.
# Every stage runs even if an earlier one failed; the exit status says whether all passed.
source "$(dirname "$0")/_setup.sh"
if [ ! -x /usr/bin/chromium ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
ensure_venv
build_front_end
install_package test
npm_install tests/sdk

failed=()
stage() {
  local name=$1; shift
  echo "== $name"
  if ! "$@"; then failed+=("$name"); fi
}
stage "ruff" .venv/bin/ruff check .
stage "mypy" .venv/bin/mypy
stage "typescript" bash -c "cd js && npm run --silent typecheck"
stage "front-end unit tests" bash -c "cd js && npm test --silent"
stage "pytest" .venv/bin/pytest "$@"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
