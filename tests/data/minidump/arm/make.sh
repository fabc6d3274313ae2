#!/usr/bin/env bash
# Makes the real 32-bit arm (armhf) minidumps of this folder. Breakpad's Linux client cannot run under
# qemu-user (it needs ptrace), so the arm process dies under qemu-arm, which writes its core, and Breakpad's own
# core2md — built for armhf from the npm package `minidump`'s sources and run under qemu-arm too — turns the
# core and the /proc files the process saved into a minidump. armcrash.cc links ../crashy.cc (a shared
# library, -O2 without frame pointers); dump_syms writes the .sym files in the symbol-server layout.
# Needs: g++-arm-linux-gnueabihf, qemu-user (apt). Usage: make.sh [NPM_PREFIX]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PKG_PREFIX=${1:-} . "$(dirname "$0")/../breakpad_tools.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_breakpad "$work"
(cd "$work/breakpad" && ./configure -q --host=arm-linux-gnueabihf CC=arm-linux-gnueabihf-gcc \
  CXX=arm-linux-gnueabihf-g++ >/dev/null && make -s -j2 CXXFLAGS="-g -O2 -Wno-error" \
  src/tools/linux/core2md/core2md >/dev/null)
cxx=arm-linux-gnueabihf-g++
$cxx -O2 -g -fomit-frame-pointer -fPIC -shared -Wl,--build-id=sha1 -o "$work/libcrashy.so" "$here/../crashy.cc" \
  -lpthread
$cxx -O2 -g -Wl,--build-id=sha1 -o "$work/armcrash" "$here/armcrash.cc" -L"$work" -lcrashy -Wl,-rpath,'$ORIGIN' \
  -lpthread
for how in segv abort threads; do
  (cd "$work" && ulimit -c unlimited && qemu-arm -L /usr/arm-linux-gnueabihf ./armcrash "$how" "proc-$how" \
    >/dev/null 2>&1) || true
  core=$(ls "$work"/qemu_armcrash_*.core)
  rm -f "$here/$how.dmp"  # Breakpad's writer will not replace a file
  (ulimit -c 0 && qemu-arm -L /usr/arm-linux-gnueabihf "$work/breakpad/src/tools/linux/core2md/core2md" "$core" \
    "$work/proc-$how" "$here/$how.dmp" 2>/dev/null)
  rm -f "$core" "$work/core"
done
write_syms "$here" "$work" libcrashy.so armcrash
arm-linux-gnueabihf-strip --strip-debug -o "$here/libcrashy.so" "$work/libcrashy.so"  # the code, for Disassembly
