#!/usr/bin/env bash
# Install rtk-widget and open examples.ipynb in JupyterLab, against the embedded meeting server.
source "$(dirname "$0")/_setup.sh"
ensure_venv
build_front_end
install_package lab
exec .venv/bin/jupyter lab examples.ipynb "$@"
