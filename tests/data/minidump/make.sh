#!/usr/bin/env bash
# Makes the real Breakpad minidumps of this folder: builds Breakpad's Linux client library from the sources the
# npm package `minidump` carries (deps/breakpad, deps/third_party/lss), links crasher.cc with it and crashy.cc
# (a shared library, -O2 without frame pointers), runs each scenario, and writes the .sym files with the
# package's dump_syms in the symbol-server layout symbols/NAME/DEBUG_ID/NAME.sym.
# Usage: make.sh [NPM_PREFIX]   (default: $PMDESK_ORACLES or ~/.cache/pmdesk-oracles)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=${1:-${PMDESK_ORACLES:-$HOME/.cache/pmdesk-oracles}}/node_modules/minidump
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$pkg/deps/breakpad" "$work/breakpad"
cp -r "$pkg/deps/third_party/lss" "$work/breakpad/src/third_party/lss"
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
rm -rf "$here/symbols"
for bin in libcrashy.so crasher; do
  "$pkg/bin/linux-x64/dump_syms" -d "$work/$bin" > "$work/$bin.sym" 2>/dev/null
  id=$(head -1 "$work/$bin.sym" | cut -d' ' -f4)
  mkdir -p "$here/symbols/$bin/$id"
  mv "$work/$bin.sym" "$here/symbols/$bin/$id/$bin.sym"
done
strip --strip-debug -o "$here/libcrashy.so" "$work/libcrashy.so"  # .eh_frame and .symtab kept: the local-ELF case
