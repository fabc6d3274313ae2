# Sourced by make.sh and arm/make.sh: Breakpad's sources from the npm package `minidump`, and its dump_syms
# writing .sym files in the symbol-server layout.
pkg=${PKG_PREFIX:-${PMDESK_ORACLES:-$HOME/.cache/pmdesk-oracles}}/node_modules/minidump

# copy_breakpad WORK: Breakpad's sources (with linux-syscall-support) into WORK/breakpad
copy_breakpad() {
  cp -r "$pkg/deps/breakpad" "$1/breakpad"
  cp -r "$pkg/deps/third_party/lss" "$1/breakpad/src/third_party/lss"
}

# write_syms OUT WORK BINARY…: each WORK/BINARY's .sym (dump_syms -d: inline records too) as
# OUT/symbols/BINARY/DEBUG_ID/BINARY.sym, the old OUT/symbols replaced
write_syms() {
  local out=$1 work=$2 bin id
  shift 2
  rm -rf "$out/symbols"
  for bin in "$@"; do
    "$pkg/bin/linux-x64/dump_syms" -d "$work/$bin" > "$work/$bin.sym" 2>/dev/null
    id=$(head -1 "$work/$bin.sym" | cut -d' ' -f4)
    mkdir -p "$out/symbols/$bin/$id"
    mv "$work/$bin.sym" "$out/symbols/$bin/$id/$bin.sym"
  done
}
