#!/usr/bin/env bash
# Regenerates the cores of other architectures: the corpus's segv_chain and mutex_deadlock cross-compiled for
# ppc64le (Debian's cross gcc), run under qemu-user (which writes the guest's core: NT_PRSTATUS per
# thread, NT_PRPSINFO, NT_AUXV — no NT_FILE, no NT_SIGINFO), with gdb-multiarch's answers beside them.
# (qemu-user 7.2's riscv64 writes no guest core — its own x86-64 core instead — so riscv64 is not made here.)
# Needs: gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-user-static gdb-multiarch. The cores are stored gzipped; libraries.txt names the libcs they ran with.
# Usage: bash make.sh [CORPUS_SRC]   (default ../../../../../shared/corpus/native/src)
set -euo pipefail
cd "$(dirname "$0")"
SRC=$(cd "${1:-../../../../../shared/corpus/native/src}" && pwd)
export QEMU_STACK_SIZE=262144
rm -f ./*.core ./*.gz ./*.gdb.txt libraries.txt
for arch in ppc64le:powerpc64le-linux-gnu; do
    name=${arch%%:*}; triple=${arch##*:}; sysroot=/usr/$triple
    CC="$triple-gcc -g -O1 -no-pie -Wl,--build-id -ffile-prefix-map=$SRC=/pmdesk-corpus/native/src"
    $CC -o "segv_chain.$name" "$SRC/segv_chain.c"
    $CC -pthread -o "mutex_deadlock.$name" "$SRC/mutex_deadlock.c"
    for prog in segv_chain mutex_deadlock; do
        ( ulimit -c unlimited
          if [ "$prog" = mutex_deadlock ]; then
              "qemu-$name-static" -L "$sysroot" "./$prog.$name" > /dev/null & sleep 2; kill -ABRT $!; wait $! || true
          else
              "qemu-$name-static" -L "$sysroot" "./$prog.$name" > /dev/null || true
          fi ) 2>/dev/null
        if ls qemu_"$prog.$name"_*.core > /dev/null 2>&1; then mv qemu_"$prog.$name"_*.core "$prog.$name.core"
        else mv core "$prog.$name.core"; fi  # (qemu names it so for some programs)
        gdb-multiarch -batch -nx -iex "set sysroot $sysroot" -iex 'set pagination off' -iex 'set width 0' \
            -ex 'info threads' -ex 'thread apply all bt' -ex 'info registers' "$prog.$name" "$prog.$name.core" \
            > "$prog.$name.gdb.txt" 2>&1 || true
        gzip -9 -n "$prog.$name.core"
    done
    for lib in "$sysroot"/lib/libc.so.6; do
        printf '%s %s %s\n' "$name" "$lib" "$(readelf -n "$lib" | awk '/Build ID/{print $3}')"
    done >> libraries.txt
done
ls -la
