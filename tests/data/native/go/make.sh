#!/usr/bin/env bash
# Makes the Go core: crash.go built with Debian's Go (1.19), run with GOTRACEBACK=crash so the runtime prints
# every goroutine (the truth, crash.traceback.txt) and aborts into a core (crash.core.gz, gzip'd as the
# other cores of tests/data/native/other_arch). The binary is kept (crash.bin): the core needs it for
# symbols and DWARF. Run from anywhere; needs go and a core_pattern that writes a file (not a pipe).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/crash.go" "$work/"
cd "$work"
cat > go.mod <<'MOD'
module crash

go 1.19
MOD
CGO_ENABLED=0 go build -trimpath -o crash.bin .
ulimit -c unlimited
GOTRACEBACK=crash ./crash.bin 2>crash.traceback.txt || true
core=$(ls core* | head -1)
go version > "$here/go-version.txt"
cp crash.bin crash.traceback.txt "$here/"
gzip -9 -c "$core" > "$here/crash.core.gz"
