#!/usr/bin/env bash
# Removes what install.sh registered for the current user.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
xdg-mime uninstall --mode user "$here/pmdesk-mime.xml" 2>/dev/null || rm -f "$data/mime/packages/pmdesk-mime.xml"
update-mime-database "$data/mime" >/dev/null 2>&1 || true
rm -f "$data/applications/pmdesk.desktop" "$data/icons/hicolor/scalable/apps/pmdesk.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
sed -i '/pmdesk.desktop/d' "${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list" "$data/applications/mimeapps.list" 2>/dev/null || true
echo "pmdesk unregistered"
