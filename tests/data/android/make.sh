#!/usr/bin/env bash
# Rebuilds libnative_crash.so for arm64 and x86_64 Android with Debian's clang-14/lld (the NDK is not needed for
# a library that calls nothing): unstripped, with a GNU build-id, as an app's obj/local/<abi> holds it.
set -euo pipefail
cd "$(dirname "$0")"
for t in aarch64:arm64-v8a x86_64:x86_64; do
  triple=${t%%:*}; abi=${t##*:}
  mkdir -p "obj/local/$abi"
  clang-14 --target=$triple-linux-android29 -fPIC -shared -g -O1 -nostdlib -fuse-ld=lld -Wl,--build-id=sha1 \
    native_crash.c -o "obj/local/$abi/libnative_crash.so"
done
