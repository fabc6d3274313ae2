"""Benchmark: index a heap dump from scratch and print MB/s, objects/s and peak RSS.

Usage: python benchmarks/index_hprof.py DUMP [--histo JMAP_HISTO.txt]
Indexes into a temporary directory (the user's cache is untouched). The numba kernels are compiled
(or loaded from their cache) on the bundled sample first, so the figure is the steady-state speed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "leak-phase1.hprof.gz"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        Dump.open(str(SAMPLE), index_dir=tmp).close()
        warm = time.perf_counter() - t
        rss_before = peak_rss_mb()
        size = os.path.getsize(args.dump)
        t = time.perf_counter()
        with Dump.open(args.dump, index_dir=tmp, force=True) as d:
            seconds = time.perf_counter() - t
            objects = d.meta["summary.objects"]
            scan = d.meta["summary.scan_seconds"]
        t = time.perf_counter()
        with Dump.open(args.dump, index_dir=tmp) as d:
            rows = heap.histogram(d)
        reopen = time.perf_counter() - t
        index_mb = sum(p.stat().st_size for p in Path(tmp).glob("*.sqlite")) / 1e6
    mb = size / 1e6
    print(f"dump                {args.dump}")
    print(f"size                {mb:,.1f} MB, {objects:,} objects, {len(rows):,} classes")
    print(f"index (full)        {seconds:.2f} s  = {mb / seconds:,.0f} MB/s, {objects / seconds:,.0f} objects/s")
    print(f"  of which scan     {scan:.2f} s  = {mb / scan:,.0f} MB/s")
    print(f"reopen + histogram  {reopen:.3f} s")
    print(f"peak RSS            {peak_rss_mb():,.0f} MB (before indexing: {rss_before:,.0f} MB; "
          f"{peak_rss_mb() / mb * 100:.0f}% of the dump's size)")
    print(f"index size          {index_mb:,.1f} MB")
    print(f"warm-up (sample)    {warm:.2f} s (numba compile or cache load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
