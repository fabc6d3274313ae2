#!/usr/bin/env bash
# Makes the real Breakpad minidumps of this folder: builds Breakpad's Linux client library from the sources the
# npm package `minidump` carries (deps/breakpad, deps/third_party/lss), links crasher.cc with it and crashy.cc
# (a shared library, -O2 without frame pointers), runs each scenario, and writes the .sym files with the
# package's dump_syms in the symbol-server layout symbols/NAME/DEBUG_ID/NAME.sym.
# Usage: make.sh [NPM_PREFIX]   (default: $PMDESK_ORACLES or ~/.cache/pmdesk-oracles)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PKG_PREFIX=${1:-} . "$(dirname "$0")/breakpad_tools.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_breakpad "$work"
(cd "$work/breakpad" && ./configure -q >/dev/null && make -s -j2 CXXFLAGS="-g -O2 -Wno-error" \
  src/client/linux/libbreakpad_client.a >/dev/null)
g++ -O2 -g -fomit-frame-pointer -fPIC -shared -Wl,--build-id=sha1 -o "$work/libcrashy.so" \
  "$here/crashy.cc" -lpthread
g++ -O2 -g -Wl,--build-id=sha1 -I"$work/breakpad/src" -o "$work/crasher" "$here/crasher.cc" \
  -L"$work" -lcrashy -Wl,-rpath,'$ORIGIN' "$work/breakpad/src/client/linux/libbreakpad_client.a" -lpthread
for how in segv abort throw deadlock threads; do
  out=$(mktemp -d)
  (cd "$work" && ./crasher "$how" "$out" >/dev/null 2>&1) || true
  mv "$out"/*.dmp "$here/$how.dmp"
  rm -rf "$out"
done
write_syms "$here" "$work" libcrashy.so crasher
strip --strip-debug -o "$here/libcrashy.so" "$work/libcrashy.so"  # .eh_frame and .symtab kept: the local-ELF case
