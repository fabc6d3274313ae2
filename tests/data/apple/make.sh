#!/usr/bin/env bash
# Rebuilds the Mach-O test artefacts with the real Apple-target toolchain (Debian clang/lld/llvm 14):
# inline_crash (arm64 iOS executable), inline_crash_fat (x86_64 + arm64 universal) and their dSYMs.
set -euo pipefail
cd "$(dirname "$0")"
for arch in arm64 x86_64; do
  target=$([ $arch = arm64 ] && echo arm64-apple-ios15.0 || echo x86_64-apple-macos12.0)
  platform=$([ $arch = arm64 ] && echo "ios 15.0 15.0" || echo "macos 12.0 12.0")
  clang-14 --target=$target -g -O1 -c inline_crash.c -o /tmp/inline_crash.$arch.o
  ld64.lld-14 -arch $arch -platform_version $platform -e _main -o inline_crash.$arch /tmp/inline_crash.$arch.o
done
tools=$(mktemp -d); ln -s "$(command -v llvm-lipo-14)" "$tools/lipo"  # dsymutil joins a fat dSYM with lipo
export PATH="$tools:$PATH"
llvm-lipo-14 -create inline_crash.x86_64 inline_crash.arm64 -output inline_crash_fat
dsymutil-14 inline_crash.arm64 -o inline_crash.arm64.dSYM
dsymutil-14 inline_crash_fat -o inline_crash_fat.dSYM
rm -rf inline_crash.x86_64 /tmp/inline_crash.*.o "$tools"
