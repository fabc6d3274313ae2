"""Benchmark: compare two already-indexed heap dumps (`pmdesk diff A B`) — the first comparison (each
dump's holder summary computed and kept in its index) and a repeated one — wall time and peak RSS.

Usage: python benchmarks/heap_diff.py A.hprof B.hprof [--index-dir DIR]
Both dumps are indexed (histogram, graph) first if needed; that time is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.heap_graph_vs_visualvm import timed  # noqa: E402
from pmdesk.model.dump import Dump  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--index-dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        idx = args.index_dir or tmp
        for f in (args.a, args.b):
            subprocess.run([sys.executable, "-m", "pmdesk", "index", f, "--index-dir", idx], check=True,
                           capture_output=True)
            with Dump.open(f, index_dir=idx) as d, contextlib.closing(sqlite3.connect(d.index_path)) as w:
                w.execute("DELETE FROM meta WHERE key = 'holders.version'")  # start without the summaries
                w.commit()
        cmd = [sys.executable, "-m", "pmdesk", "diff", args.a, args.b, "--index-dir", idx, "--top", "5"]
        first, rss1, out = timed(cmd)
        again, rss2, _ = timed(cmd)
    print(out.strip())
    print(f"first comparison    {first:6.2f} s   peak RSS {rss1:7,.0f} MB (holder summaries computed and kept)")
    print(f"repeated comparison {again:6.2f} s   peak RSS {rss2:7,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
