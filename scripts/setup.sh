#!/usr/bin/env bash
# Creates .venv and installs pmdesk (editable) with its test extras — only when .venv is new or pyproject.toml
# changed since the last install (a stamp in .venv), so the second run starts at once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.pmdesk-installed
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/tmp/pmdesk-venv.err; then
    echo "setup: '$PY -m venv' failed: $(tail -1 /tmp/pmdesk-venv.err)" >&2
    echo "setup: on Debian/Ubuntu install python3-venv (as root, or with sudo): apt-get install python3-venv" >&2
    rm -rf .venv
    exit 2
  fi
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing pmdesk and its dependencies into .venv (first run only, about a minute)" >&2
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
