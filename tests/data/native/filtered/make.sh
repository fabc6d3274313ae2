#!/usr/bin/env bash
# Remakes a core without the modules' text and ELF headers: the corpus's mutex_deadlock run here, its
# /proc/PID/coredump_filter set to 0x3 (anonymous memory only: no file-backed pages, no ELF headers — what
# systems that keep cores small set), dumped by gdb's gcore (which honours the filter) while the program
# deadlocks, with gdb's own backtraces of the live process beside it. The program is then moved away from the
# path the core records (the tests give it with --exe). libc.txt names the libc the process ran with.
# Usage: bash make.sh [CORPUS_SRC]   (default ../../../../../shared/corpus/native/src)
set -euo pipefail
cd "$(dirname "$0")"
SRC=$(cd "${1:-../../../../../shared/corpus/native/src}" && pwd)
tmp=$(mktemp -d)
gcc -g -O1 -pthread -Wl,--build-id -ffile-prefix-map="$SRC"=/pmdesk-corpus/native/src -o "$tmp/mutex_deadlock" \
    "$SRC/mutex_deadlock.c"
"$tmp/mutex_deadlock" > /dev/null 2>&1 &
pid=$!
sleep 1
echo 0x3 > "/proc/$pid/coredump_filter"
gdb -batch -nx -p "$pid" -iex 'set pagination off' -iex 'set width 0' -ex 'gcore mutex_deadlock.filtered.core' \
    -ex 'thread apply all bt' > mutex_deadlock.filtered.gdb.txt 2>&1
kill -9 "$pid"
cp "$tmp/mutex_deadlock" mutex_deadlock
rm -rf "$tmp"
gzip -9 -n -f mutex_deadlock.filtered.core
libc=$(ldd mutex_deadlock | awk '/libc.so.6/{print $3}')
printf '%s %s\n' "$libc" "$(readelf -n "$libc" | awk '/Build ID/{print $3}')" > libc.txt
