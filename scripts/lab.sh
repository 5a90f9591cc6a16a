#!/usr/bin/env bash
# Install rtk-widget and open examples.ipynb in JupyterLab, against the embedded meeting server.
# Extra arguments go to `jupyter lab` (e.g. --no-browser --port 8890).
source "$(dirname "$0")/_setup.sh"
ensure_venv
build_front_end
install_package lab
root_flag=()
if [ "$(id -u)" = 0 ]; then root_flag=(--allow-root); fi  # JupyterLab refuses root without it
exec .venv/bin/jupyter lab examples.ipynb "${root_flag[@]}" "$@"
