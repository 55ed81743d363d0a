#!/usr/bin/env bash
# Create the virtual environment (default .venv) with Python 3.11 if it does not exist yet.
# Debian ships the venv module separately (python3.11-venv); install it when it is missing.
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3.11}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    exit 0
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "Guanxi needs Python 3.11 ($PYTHON was not found). On Debian 12: apt-get install python3.11" >&2
    exit 1
fi
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    echo "Python's venv module is missing; installing Debian's python3.11-venv ..."
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3.11-venv >/dev/null
fi
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
echo "Created $VENV with $("$VENV/bin/python" --version)."
