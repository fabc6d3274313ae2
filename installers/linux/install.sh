#!/usr/bin/env bash
# Registers pmdesk with the desktop for the current user: its file types (shared-mime-info), a .desktop
# entry that opens them, pmdesk as their default application, and the icon. Undo with uninstall.sh.
# Usage: installers/linux/install.sh [PMDESK_COMMAND]
#   (default: the pmdesk on PATH — the one the user runs — else the repository's .venv/bin/pmdesk)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$(command -v pmdesk || echo "$root/.venv/bin/pmdesk")}"
case "$bin" in /*) ;; *) bin="$(command -v "$bin" || echo "$PWD/$bin")" ;; esac
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
  echo "install.sh: no pmdesk to register at $bin: install it first (scripts/setup.sh) or give its path" >&2
  exit 1
fi
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/mime/packages" "$data/icons/hicolor/scalable/apps"
sed "s|@PMDESK@|$bin|" "$here/pmdesk.desktop.in" > "$data/applications/pmdesk.desktop"
cp "$root/resources/icons/pmdesk.svg" "$data/icons/hicolor/scalable/apps/pmdesk.svg"
xdg-mime install --novendor --mode user "$here/pmdesk-mime.xml"
update-mime-database "$data/mime" >/dev/null
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
for type in $(sed -n 's/^MimeType=//p' "$data/applications/pmdesk.desktop" | tr ';' ' '); do
  xdg-mime default pmdesk.desktop "$type"
done
echo "pmdesk registered for: $(sed -n 's/^MimeType=//p' "$data/applications/pmdesk.desktop")"
