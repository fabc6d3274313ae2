#!/usr/bin/env bash
# Makes the Go core: crash.go built with Debian's Go (1.19), run with GOTRACEBACK=crash so the runtime prints
# every goroutine (the truth, crash.traceback.txt) and aborts into a core (crash.core.gz, gzip'd as the
# other cores of tests/data/native/other_arch). The binary is kept (crash.bin): the core needs it for
# symbols and DWARF. The same program built for arm64 runs under qemu-user, which writes the guest's core
# itself (crash.arm64.core.gz, crash.arm64.traceback.txt, crash.arm64). Run from anywhere; needs go,
# qemu-user-static and a core_pattern that writes a file (not a pipe).
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
GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -o crash.arm64 .
rm -f core*
GOTRACEBACK=crash qemu-aarch64-static ./crash.arm64 2>crash.arm64.traceback.txt || true
cp crash.arm64 crash.arm64.traceback.txt "$here/"
gzip -9 -c qemu_crash.arm64_*.core > "$here/crash.arm64.core.gz"
