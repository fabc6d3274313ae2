"""Benchmark: full heap-dump index (histogram, object graph, dominators, retained sizes) by pmdesk
versus the VisualVM heap library's retained sizes, on the same file: wall time, peak RSS, ratio.

Usage: python benchmarks/heap_graph_vs_visualvm.py DUMP [--xmx 16g] [--skip-visualvm] [--compare]
Each side runs in a fresh process (pmdesk: `pmdesk index`, numba kernels already compiled by a warm-up
on the bundled sample; VisualVM: benchmarks/VisualVMHeap.java asking for the 100 biggest objects), first
from scratch, then reopening with what each kept (pmdesk's index; VisualVM's DUMP.hwcache directory, which
is removed before and after so the dump's directory is left as it was).
--compare also rebuilds pmdesk's graph the way VisualVM builds its graph and checks VisualVM's
100 biggest objects against it (tests/visualvm.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import visualvm  # noqa: E402

SAMPLE = ROOT / "resources" / "samples" / "leak-phase1.hprof.gz"


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of a command run as a child process."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{text}")
    return wall, usage.ru_maxrss / 1024, text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--xmx", default="16g", help="VisualVM's Java heap limit")
    ap.add_argument("--skip-visualvm", action="store_true")
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    mb = os.path.getsize(args.dump) / 1e6
    pmdesk = [sys.executable, "-m", "pmdesk", "index"]
    with tempfile.TemporaryDirectory() as tmp:
        timed([*pmdesk, str(SAMPLE), "--index-dir", tmp])  # numba compile / cache warm-up
        wall, rss, out = timed([*pmdesk, args.dump, "--index-dir", tmp])
        print(out.strip())
        print(f"pmdesk   full index  {wall:7.2f} s  {mb / wall:6.0f} MB/s   peak RSS {rss:7,.0f} MB")
        if args.skip_visualvm:
            return 0
        if not visualvm.available():
            print("VisualVM's heap library is not installed (apt-get install visualvm)")
            return 0
        rwall, rrss, _ = timed([*pmdesk[:-1], "biggest", args.dump, "--index-dir", tmp, "--top", "100"])
        print(f"pmdesk   reopen + 100 biggest {rwall:5.2f} s   peak RSS {rrss:7,.0f} MB")
        cache = Path(args.dump + ".hwcache")
        shutil.rmtree(cache, ignore_errors=True)
        java = ["java", f"-Xmx{args.xmx}", "-cp", str(visualvm.JAR), str(visualvm.SOURCE), args.dump, "100"]
        try:
            vwall, vrss, _ = timed(java)
            print(f"VisualVM retained    {vwall:7.2f} s  {mb / vwall:6.0f} MB/s   peak RSS {vrss:7,.0f} MB")
            vrwall, vrrss, _ = timed(java)
            print(f"VisualVM reopen + 100 biggest {vrwall:5.2f} s   peak RSS {vrrss:7,.0f} MB (its .hwcache)")
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"ratio                {vwall / wall:7.1f}x faster, {vrss / rss:5.1f}x less memory "
              f"(reopen: {vrwall / rwall:.1f}x faster)")
        if args.compare:
            import functools

            from pmdesk.base.progress import Progress
            from pmdesk.index.hprof.graph_input import VISUALVM_MODEL, graph_input
            from pmdesk.model.dump import Dump
            from pmdesk.model.heap.graph import HeapGraph, build_graph

            d = Dump.open(args.dump, index_dir=tmp)
            copy = Path(tmp) / "visualvm-model.sqlite"
            copy.write_bytes(d.index_path.read_bytes())
            build_graph(d, Progress(), str(copy), functools.partial(graph_input, model=VISUALVM_MODEL))
            g = HeapGraph(Dump(args.dump, d.reader, copy, False))
            vv = visualvm.run(args.dump, 100, (f"-Xmx{args.xmx}",))
            bad = visualvm.mismatches(g, vv)
            print(f"agreement            {len(vv['biggest']) - len(bad)}/{len(vv['biggest'])} of VisualVM's biggest "
                  "objects have the same retained size")
            for b in bad:
                print("  ", b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
