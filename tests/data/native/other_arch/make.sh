#!/usr/bin/env bash
# Regenerates the cores of other architectures, with gdb's answers beside them:
#   ppc64le  the corpus's segv_chain and mutex_deadlock cross-compiled (Debian's cross gcc) and run under
#            qemu-user (which writes the guest's core: NT_PRSTATUS per thread, NT_PRPSINFO, NT_AUXV — no NT_FILE,
#            no NT_SIGINFO); gdb-multiarch's backtraces. Needs gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
#            qemu-user-static gdb-multiarch.
#   i386     the same programs built with gcc -m32 and run natively; gdb's gcore writes the cores (segv_chain
#            stopped at its fault under gdb, mutex_deadlock attached while it deadlocks). Needs gcc-multilib —
#            which Debian will not install beside the cross compilers: one architecture per run.
# (qemu-user 7.2's riscv64 writes no guest core — its own x86-64 core instead — so riscv64 is not made here.)
# The cores are stored gzipped; libraries.txt names the libcs they ran with.
# Usage: bash make.sh ppc64le|i386 [CORPUS_SRC]   (default ../../../../../shared/corpus/native/src)
set -euo pipefail
cd "$(dirname "$0")"
arch=${1:-}
SRC=$(cd "${2:-../../../../../shared/corpus/native/src}" && pwd)
case $arch in ppc64le|i386) ;; *) echo "usage: bash make.sh ppc64le|i386 [CORPUS_SRC]" >&2; exit 2 ;; esac
rm -f ./*."$arch" ./*."$arch".core.gz ./*."$arch".gdb.txt
touch libraries.txt
sed -i "/^$arch /d" libraries.txt
if [ "$arch" = ppc64le ]; then
    triple=powerpc64le-linux-gnu; sysroot=/usr/$triple
    export QEMU_STACK_SIZE=262144
    CC="$triple-gcc -g -O1 -no-pie -Wl,--build-id -ffile-prefix-map=$SRC=/pmdesk-corpus/native/src"
    $CC -o "segv_chain.$arch" "$SRC/segv_chain.c"
    $CC -pthread -o "mutex_deadlock.$arch" "$SRC/mutex_deadlock.c"
    for prog in segv_chain mutex_deadlock; do
        ( ulimit -c unlimited
          if [ "$prog" = mutex_deadlock ]; then
              "qemu-$arch-static" -L "$sysroot" "./$prog.$arch" > /dev/null & sleep 2; kill -ABRT $!; wait $! || true
          else
              "qemu-$arch-static" -L "$sysroot" "./$prog.$arch" > /dev/null || true
          fi ) 2>/dev/null
        mv qemu_"$prog.$arch"_*.core "$prog.$arch.core"
        gdb-multiarch -batch -nx -iex "set sysroot $sysroot" -iex 'set pagination off' -iex 'set width 0' \
            -ex 'info threads' -ex 'thread apply all bt' -ex 'info registers' "$prog.$arch" "$prog.$arch.core" \
            > "$prog.$arch.gdb.txt" 2>&1 || true
    done
    libc=$sysroot/lib/libc.so.6
else
    CC="gcc -m32 -g -O1 -no-pie -Wl,--build-id -ffile-prefix-map=$SRC=/pmdesk-corpus/native/src"
    $CC -o "segv_chain.$arch" "$SRC/segv_chain.c"
    $CC -pthread -o "mutex_deadlock.$arch" "$SRC/mutex_deadlock.c"
    gdb -batch -nx -iex 'set pagination off' -iex 'set width 0' -ex run -ex "gcore segv_chain.$arch.core" \
        -ex 'thread apply all bt' "./segv_chain.$arch" > "segv_chain.$arch.gdb.txt" 2>&1
    "./mutex_deadlock.$arch" > /dev/null 2>&1 &
    pid=$!
    sleep 1
    gdb -batch -nx -p "$pid" -iex 'set pagination off' -iex 'set width 0' -ex "gcore mutex_deadlock.$arch.core" \
        -ex 'thread apply all bt' > "mutex_deadlock.$arch.gdb.txt" 2>&1
    kill -9 "$pid"
    libc=$(readlink -f "$(ldd "mutex_deadlock.$arch" | awk '/libc.so.6/{print $3}')")
fi
gzip -9 -n ./*."$arch".core
printf '%s %s %s\n' "$arch" "$libc" "$(readelf -n "$libc" | awk '/Build ID/{print $3}')" >> libraries.txt
ls -la
