"""Benchmark: each corpus Android tombstone (../shared/corpus/out/mobile/tombstone) and the one made here
(tests/data/android) opened in a fresh process (`pmdesk stack --json`: read, modules, symbolication, index),
with its wall time and peak RSS; for the protobuf tombstone, `protoc --decode=Tombstone` on the same bytes as
the reference decoder, and the ratio.

Usage: python benchmarks/tombstones.py
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOBILE = ROOT.parent / "shared" / "corpus" / "out" / "mobile"
PMDESK = [sys.executable, "-m", "pmdesk"]


def timed(argv: list[str], stdin: bytes | None = None) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in bytes."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as inp:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        child = subprocess.Popen(argv, stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(argv)} failed")
    return time.perf_counter() - t, usage.ru_maxrss * 1024


def main() -> int:
    files = sorted((MOBILE / "tombstone").glob("*")) + [ROOT / "tests" / "data" / "android" / "made-tombstone_00.txt"]
    print(f"{'tombstone':48} {'bytes':>9} {'pmdesk s':>9} {'peak MB':>8} {'protoc s':>9} {'ratio':>6}")
    for f in files:
        with tempfile.TemporaryDirectory() as idx:
            wall, peak = timed([*PMDESK, "stack", str(f), "--json", "--index-dir", idx])
        ref = ratio = ""
        if f.name.endswith(".pb.gz") and shutil.which("protoc"):
            w, _ = timed(["protoc", f"--proto_path={ROOT / 'tests' / 'data' / 'android'}", "--decode=Tombstone",
                          "tombstone.proto"], gzip.decompress(f.read_bytes()))
            ref, ratio = f"{w:.3f}", f"{wall / w:.2f}"
        print(f"{f.name:48} {f.stat().st_size:>9,} {wall:>9.3f} {peak / 2**20:>8.1f} {ref:>9} {ratio:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
