#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and starts pmdesk; with no arguments it opens the bundled sample dump.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pmdesk "$@"
