"""Benchmark: triage of a folder of real crashes — N cores of one C program crashed here (four faults, each run
with its own addresses), plus the thread dumps and JVM error logs of tests/data — by `pmdesk triage` on this
machine's cores (each dump in a worker process), again with every dump indexed already, and on a local Dask
cluster of 2 workers; against what a person does without it, gdb's `bt` on each core (the real tool; Socorro
runs as a server and is not installable here). Prints dumps/s, seconds per 1,000 dumps, peak resident memory
(the largest worker's), the bytes written (indexes, rows), and the ratio to gdb.

Usage: python benchmarks/triage.py [--cores N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
PROGRAM = r"""
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
struct config { int *slots; };
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
__attribute__((noinline)) void store_value(struct config *c, int v) { c->slots[3] = v; }
__attribute__((noinline)) void check_budget(int v) { if (v > 10) abort(); }
__attribute__((noinline)) int descend(int n) { volatile char pad[4096]; pad[0] = n; return descend(n + 1) + pad[0]; }
__attribute__((noinline)) void release_twice(void) { char *volatile p = malloc(64); free(p); free(p); }
int main(int argc, char **argv) {
    struct config c = {0};
    const char *mode = argc > 1 ? argv[1] : "segv";
    if (!strcmp(mode, "abort")) check_budget(42);
    if (!strcmp(mode, "overflow")) return descend(0);
    if (!strcmp(mode, "double-free")) release_twice();
    store_value(&c, 42);
    return 0;
}
"""
MODES = ("segv", "abort", "overflow", "double-free")


def make_cores(work: Path, n: int) -> list[Path]:
    """N cores, the four faults in turn, each a fresh process (address randomisation on)."""
    src = work / "crash.c"
    src.write_text(PROGRAM)
    subprocess.run(["gcc", "-g", "-O1", "-o", str(work / "crash"), str(src)], check=True)
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or "/" in pattern:
        sys.exit(f"core_pattern is {pattern!r}: this benchmark needs cores written in the working directory")
    out = []
    for i in range(n):
        d = work / f"run{i}"
        d.mkdir()
        subprocess.run(["bash", "-c", f"ulimit -c unlimited; exec {work / 'crash'} {MODES[i % len(MODES)]}"], cwd=d,
                       capture_output=True, check=False)
        core = next((p for p in d.iterdir() if p.name.startswith("core")), None)
        if core is not None:
            out.append(core.rename(work / "dumps" / f"{MODES[i % len(MODES)]}-{i}.core"))
        shutil.rmtree(d)
    return out


def run(argv: list[str]) -> tuple[float, dict, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - t0
    return seconds, json.loads(r.stdout), max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) * 1024


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=200)
    ap.add_argument("--keep", help="build the folder here and keep it")
    a = ap.parse_args()
    work = Path(a.keep or tempfile.mkdtemp(prefix="pmdesk-triage-bench-"))
    (work / "dumps").mkdir(parents=True, exist_ok=True)
    cores = make_cores(work, a.cores)
    for p in sorted((DATA / "threads").glob("*.txt")) + sorted((DATA / "hserr").glob("*.log")):
        shutil.copy(p, work / "dumps" / p.name)
    dumps = len(list((work / "dumps").iterdir()))
    raw = folder_bytes(work / "dumps")
    print(f"{dumps} dumps ({len(cores)} cores of {len(MODES)} faults, the rest thread dumps and JVM error logs), "
          f"{raw / 1e6:.1f} MB")
    cmd = [sys.executable, "-m", "pmdesk", "triage", str(work / "dumps"), "--json", "--index-dir", str(work / "idx")]
    cold, doc, peak = run(cmd)
    buckets = len(doc["buckets"])
    print(f"pmdesk triage, {os.cpu_count()} workers:  {cold:7.2f} s  {dumps / cold:6.1f} dumps/s  "
          f"{cold / dumps * 1000:7.0f} s per 1,000 dumps  peak {peak / 1e6:.0f} MB  {buckets} buckets, "
          f"{len(doc['errors'])} errors")
    print(f"  written: indexes {folder_bytes(work / 'idx') / 1e6:.1f} MB ({folder_bytes(work / 'idx') / raw:.1f}x "
          "the dumps)")
    warm, _doc, _ = run(cmd)
    print(f"again (indexed, rows cached): {warm:7.2f} s  {warm / dumps * 1000:7.1f} s per 1,000 dumps")
    shutil.rmtree(work / "idx")
    try:
        import distributed  # noqa: F401

        dask, ddoc, _ = run([*cmd, "--dask-local", "2", "--parquet", str(work / "rows")])
        same = [b["signature"] for b in ddoc["buckets"]] == [b["signature"] for b in doc["buckets"]]
        print(f"pmdesk triage --dask-local 2:  {dask:7.2f} s  {dask / dumps * 1000:7.0f} s per 1,000 dumps  "
              f"(cluster start included)  Parquet {folder_bytes(work / 'rows') / 1e3:.0f} kB  "
              f"buckets {'equal' if same else 'DIFFER'}")
    except ImportError:
        print("Dask distributed not installed: no cluster figure")
    if shutil.which("gdb"):
        t0 = time.perf_counter()
        for core in cores:
            subprocess.run(["gdb", "-batch", "-nx", "-ex", "bt", str(work / "crash"), str(core)],
                           capture_output=True, check=False)
        gdb = time.perf_counter() - t0
        print(f"gdb bt, one core after another: {gdb:7.2f} s for {len(cores)} cores  "
              f"{gdb / len(cores) * 1000:7.0f} s per 1,000 cores  pmdesk/gdb {cold / gdb:.2f}x "
              "(pmdesk also reads every thread, indexes and buckets)")
    if not a.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
