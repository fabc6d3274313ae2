#!/usr/bin/env bash
# Regenerates the aarch64 core fixtures: the corpus programs cross-compiled for aarch64, run under
# qemu-user (which writes the guest's core as an aarch64 ELF core: NT_PRSTATUS per thread, NT_PRPSINFO,
# NT_AUXV — no NT_FILE, no NT_SIGINFO), and gdb-multiarch's answers beside them.
# Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static gdb-multiarch (Debian packages).
# The cores are stored gzipped (the tests unpack them).
# Usage: bash make.sh [CORPUS_SRC]   (default ../../../../../shared/corpus/native/src)
set -euo pipefail
cd "$(dirname "$0")"
SRC=$(cd "${1:-../../../../../shared/corpus/native/src}" && pwd)
SYSROOT=/usr/aarch64-linux-gnu
CC="aarch64-linux-gnu-gcc -g -O1 -Wl,--build-id -ffile-prefix-map=$SRC=/pmdesk-corpus/native/src"
export QEMU_STACK_SIZE=262144  # a small main stack keeps the cores small
rm -f ./*.core ./*.gcore ./*.gz ./*.gdb.txt
$CC -static -o segv_chain "$SRC/segv_chain.c"               # static, non-PIE
$CC -fPIE -pie -o segv_chain_pie "$SRC/segv_chain.c"         # dynamic PIE
$CC -no-pie -o assert_abort "$SRC/assert_abort.c"            # dynamic, libc frames
$CC -no-pie -pthread -o mutex_deadlock "$SRC/mutex_deadlock.c"
# a leaf function whose CFI is only in .debug_frame (built without unwind tables), and the same program without
# .debug_frame: the first frame's caller comes from the link register
aarch64-linux-gnu-gcc -g -O1 -fno-asynchronous-unwind-tables -fno-unwind-tables -c leaf_store.c -o leaf_store.o
aarch64-linux-gnu-gcc -g -O1 -c leaf_main.c -o leaf_main.o
aarch64-linux-gnu-gcc -no-pie -Wl,--build-id -o leaf_debug_frame leaf_main.o leaf_store.o
aarch64-linux-gnu-objcopy --remove-section .debug_frame leaf_debug_frame leaf_no_cfi
rm -f leaf_store.o leaf_main.o

run() {  # run <name> [signal-after-seconds]: leaves <name>.core (the command recorded as ./<name>)
    local name=$1
    ( ulimit -c unlimited
      if [ $# -gt 1 ]; then
          qemu-aarch64-static -L $SYSROOT "./$name" > /dev/null & sleep "$2"; kill -ABRT $!; wait $! || true
      else
          qemu-aarch64-static -L $SYSROOT "./$name" || true
      fi ) 2>/dev/null
    mv qemu_"$name"_*.core "$name.core"
    rm -f core
}
run segv_chain; run segv_chain_pie; run assert_abort; run mutex_deadlock 2; run leaf_debug_frame; run leaf_no_cfi

for name in segv_chain segv_chain_pie assert_abort mutex_deadlock leaf_debug_frame leaf_no_cfi; do
    gdb-multiarch -batch -nx -iex "set sysroot $SYSROOT" -iex 'set pagination off' -iex 'set width 0' \
        -ex 'info threads' -ex 'thread apply all bt' -ex 'info registers' -ex 'info sharedlibrary' -ex 'info auxv' \
        "$name" "$name.core" > "$name.gdb.txt" 2>&1 || true
done
# gdb's own gcore of segv_chain stopped at its fault under qemu's gdb stub (a CPU without SVE, so gdb writes
# NT_FPREGSET), with gdb's backtrace and vector registers
PORT=$((20000 + RANDOM % 20000))
qemu-aarch64-static -cpu cortex-a57 -g $PORT ./segv_chain > /dev/null 2>&1 &
sleep 1
VREGS=(); for i in $(seq 0 31); do VREGS+=(-ex "p/x \$v$i.q.u"); done
gdb-multiarch -batch -nx -iex 'set pagination off' -ex "target remote :$PORT" -ex continue -ex 'gcore segv_chain.gcore' \
    -ex bt "${VREGS[@]}" -ex 'info registers fpsr fpcr' ./segv_chain > segv_chain.gcore.gdb.txt 2>&1 || true
kill %1 2>/dev/null || true
gzip -9 -n ./*.core ./*.gcore  # mostly untouched stack pages; the tests unpack them
# the libraries the cores were made with (the tests compare libc frames only when these are installed)
for lib in libc.so.6 ld-linux-aarch64.so.1; do
    printf '%s %s\n' "$lib" "$(readelf -n $SYSROOT/lib/$lib | awk '/Build ID/{print $3}')"
done > libraries.txt
ls -la
