#!/usr/bin/env bash
# Builds dist/pmdesk (one folder) with PyInstaller, then starts it on the bundled sample, offscreen, and
# checks that the sample opened. Usage: bash installers/macos/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q -e '.[package]'
.venv/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller installers/macos/pmdesk.spec
du -sh dist/pmdesk
QT_QPA_PLATFORM=offscreen PMDESK_EXIT_AFTER_OPEN=1 dist/pmdesk/pmdesk --sample --new-instance --index-dir build/smoke-index
