#!/usr/bin/env bash
# Install everything the tests need (Chromium from Debian, Python and npm packages) and run every test:
# static checks, the front end's unit tests, then pytest (server, client, widget, official SDK in
# Chromium, real Jupyter kernel and JupyterLab). Extra arguments go to pytest.
source "$(dirname "$0")/_setup.sh"
if [ ! -x /usr/bin/chromium ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
ensure_venv
build_front_end
install_package test
(cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)

echo "== static checks"
.venv/bin/ruff check .
.venv/bin/mypy
(cd js && npm run --silent typecheck)

echo "== front-end unit tests"
(cd js && npm test --silent)

echo "== pytest"
.venv/bin/pytest "$@"
