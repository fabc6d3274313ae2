#!/bin/sh
# Makes the Go heap dumps the tests read, with Debian's golang-go (1.19): the same program run with 1,000 and
# 1,500 sessions in its leak (two dumps to compare). Each run writes FILE.heapdump (gzip'd here to keep the
# repository small), FILE.truth.json (runtime.ReadMemStats just before the dump; what a GC frees when the
# leak's last reference is dropped), FILE.heap.pb.gz (the heap profile, written just before the dump with
# every allocation sampled) and `go tool pprof -top` of it; leakdump.gz is the program (for --exe).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/main.go" "$work/"
cd "$work"
go mod init leakdump >/dev/null 2>&1
go build -trimpath -o leakdump .  # -trimpath: the same binary wherever it is built (its DWARF types the dumps)
gzip -9 -c leakdump > "$here/leakdump.gz"
for n in 1000 1500; do
    ./leakdump -sessions "$n" -out "leak-$n.heapdump" -truth "$here/leak-$n.truth.json" -profile "$here/leak-$n.heap.pb.gz"
    gzip -9 -c "leak-$n.heapdump" > "$here/leak-$n.heapdump.gz"
    go tool pprof -top -unit=B -nodecount=100000 -nodefraction=0 -sample_index=inuse_space "$here/leak-$n.heap.pb.gz" \
        > "$here/leak-$n.inuse_space.pprof-top.txt" 2>/dev/null
done
go version > "$here/go-version.txt"
