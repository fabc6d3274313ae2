"""Benchmark: index a big log of thread dumps (default: 100 dumps of 500 threads, ~50 MB) and print MB/s,
threads/s and peak RSS.

Usage: python benchmarks/thread_log.py [DUMP_TEXT] [--dumps 100] [--threads 500]
The log is built from a real jstack dump (tests/data/threads/busy-pool.jstack.txt by default): each dump
repeats its thread blocks, renamed, until it has the wanted number of threads, between lines of ordinary
program output, so it has the shape of a long-running service's stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pmdesk.model.dump import Dump  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "threads" / "busy-pool.jstack.txt"


def build_log(source: str, dumps: int, per_dump: int) -> str:
    head, _, rest = source.partition('\n"')
    blocks = [b if b.startswith('"') else '"' + b for b in rest.split('\n"')]
    out = []
    for _ in range(dumps):
        out.append("INFO request handled in 12 ms\n" * 2500)
        out.append(head + "\n")
        n = 0
        while n < per_dump:
            for b in blocks:
                if n >= per_dump:
                    break
                out.append(re.sub(r'^"([^"]*)"', lambda m, n=n: f'"{m[1]}-{n}"', b, count=1) + "\n")
                n += 1
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", nargs="?", default=str(DEFAULT))
    ap.add_argument("--dumps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "service.log"
        log.write_text(build_log(Path(args.source).read_text(), args.dumps, args.threads))
        mb = os.path.getsize(log) / 1e6
        t = time.perf_counter()
        with Dump.open(str(log), index_dir=tmp) as d:
            seconds = time.perf_counter() - t
            n = d.meta["summary.threads"]
            dumps = d.meta["threads.dumps"]
    print(f"log                 {mb:,.1f} MB, {dumps} dumps, {n:,} threads")
    print(f"index               {seconds:.2f} s = {mb / seconds:,.0f} MB/s, {n / seconds:,.0f} threads/s")
    print(f"peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
