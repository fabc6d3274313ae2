"""Benchmark: all-thread symbolicated stacks of ELF cores by `pmdesk stack` against
`gdb -batch -ex 'thread apply all bt'` and `eu-stack --core`, each as a new process on the same files
(binary and debug files given to each the way it takes them), best of --runs.

Usage: python benchmarks/core_stacks.py [NATIVE_DIR] [--runs 5]
NATIVE_DIR holds cores/, bin/, debug/ (default: tests/data/native, the corpus cores).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("native", nargs="?", default=str(ROOT / "tests" / "data" / "native"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    d = Path(args.native)
    # byte-compiled as an installed pmdesk is (pip compiles at install; PYTHONDONTWRITEBYTECODE may be set here)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pmdesk")], check=True)
    print(f"{'core':<16}{'size':>8}{'pmdesk':>10}{'(indexed)':>11}{'gdb':>8}{'eu-stack':>10}")
    for core in sorted((d / "cores").glob("*.core")):
        name = core.stem
        exe, debug = d / "bin" / name, d / "debug"
        with tempfile.TemporaryDirectory() as idx:
            live = best([sys.executable, "-m", "pmdesk", "stack", str(core), "--index-dir", idx, "--exe", str(exe),
                         "--debug-dir", str(debug)], args.runs)
            reopened = best([sys.executable, "-m", "pmdesk", "stack", str(core), "--index-dir", idx], args.runs)
        gdb = best(["gdb", "-batch", "-nx", "-ex", f"set debug-file-directory {debug}:/usr/lib/debug",
                    "-ex", "thread apply all bt", str(exe), str(core)], args.runs)
        eu = best(["eu-stack", "--core", str(core), "-e", str(exe), "--debuginfo-path", f"{debug}:/usr/lib/debug",
                   "-i", "-s"], args.runs)
        print(f"{name:<16}{core.stat().st_size / 1e6:>6.1f}MB{live:>9.2f}s{reopened:>10.2f}s{gdb:>7.2f}s{eu:>9.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
