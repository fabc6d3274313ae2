"""Benchmark: all-thread symbolicated stacks of ELF cores by `pmdesk stack` against
`gdb -batch -ex 'thread apply all bt'` and `eu-stack --core`, each as a new process on the same files
(binary and debug files given to each the way it takes them), best of --runs, with the peak RSS of the
best run.

Usage: python benchmarks/core_stacks.py [NATIVE_DIR] [--runs 5]
       python benchmarks/core_stacks.py --core BIG.core --exe BIN [--runs 3]
NATIVE_DIR holds cores/, bin/, debug/ (default: tests/data/native, the corpus cores). A big core to try:
the gcore of a JVM with 40 threads (`java Sleeper.java` whose main starts 20 sleeping threads, then
`gcore -o jvm PID`: 2.9 GB), with --exe the java launcher.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(cmd: list[str], runs: int) -> tuple[float, int]:
    """(fastest wall time in seconds, that run's peak RSS in bytes)."""
    results = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        results.append((time.perf_counter() - t, usage.ru_maxrss * 1024))
    return min(results)


def big_core(core: Path, exe: str, runs: int) -> None:
    print(f"{'core':<24}{'size':>9}{'pmdesk':>9}{'RSS':>8}{'gdb':>8}{'RSS':>8}{'eu-stack':>10}")
    with tempfile.TemporaryDirectory() as idx:
        live, live_rss = best([sys.executable, "-m", "pmdesk", "stack", str(core), "--index-dir", idx, "--exe", exe],
                              runs)
    gdb, gdb_rss = best(["gdb", "-batch", "-nx", "-ex", "thread apply all bt", exe, str(core)], runs)
    eu, _ = best(["eu-stack", "--core", str(core), "-e", exe, "-i", "-s"], runs)
    print(f"{core.name:<24}{core.stat().st_size / 1e9:>7.2f}GB{live:>8.2f}s{live_rss / 1e6:>6.0f}MB{gdb:>7.2f}s"
          f"{gdb_rss / 1e6:>6.0f}MB{eu:>9.2f}s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("native", nargs="?", default=str(ROOT / "tests" / "data" / "native"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--core", help="one big core instead of the corpus (with --exe)")
    ap.add_argument("--exe")
    args = ap.parse_args()
    d = Path(args.native)
    # byte-compiled as an installed pmdesk is (pip compiles at install; PYTHONDONTWRITEBYTECODE may be set here)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pmdesk")], check=True)
    if args.core:
        big_core(Path(args.core), args.exe, args.runs)
        return 0
    print(f"{'core':<16}{'size':>8}{'pmdesk':>10}{'(indexed)':>11}{'gdb':>8}{'eu-stack':>10}")
    for core in sorted((d / "cores").glob("*.core")):
        name = core.stem
        exe, debug = d / "bin" / name, d / "debug"
        with tempfile.TemporaryDirectory() as idx:
            live, _ = best([sys.executable, "-m", "pmdesk", "stack", str(core), "--index-dir", idx, "--exe", str(exe),
                         "--debug-dir", str(debug)], args.runs)
            reopened, _ = best([sys.executable, "-m", "pmdesk", "stack", str(core), "--index-dir", idx], args.runs)
        gdb, _ = best(["gdb", "-batch", "-nx", "-ex", f"set debug-file-directory {debug}:/usr/lib/debug",
                    "-ex", "thread apply all bt", str(exe), str(core)], args.runs)
        eu, _ = best(["eu-stack", "--core", str(core), "-e", str(exe), "--debuginfo-path", f"{debug}:/usr/lib/debug",
                   "-i", "-s"], args.runs)
        print(f"{name:<16}{core.stat().st_size / 1e6:>6.1f}MB{live:>9.2f}s{reopened:>10.2f}s{gdb:>7.2f}s{eu:>9.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
