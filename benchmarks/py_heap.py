"""Benchmark: a Python heap of about 5 M objects (the leak program of tests/data/heaps/python with a
million sessions), each step a fresh process (wall time, peak RSS):

1. the capture: `pmdesk.capture.snapshot` inside the process (objects per second, bytes per object, the
   seconds the capture itself reports);
2. `pmdesk biggest` on the new snapshot: the index and the object graph with dominators and retained sizes;
3. the same again, reopened; then `pmdesk suspects`.

No Python tool computes dominators or retained sizes; the ratio is to the nearest thing a Python user
runs on a live heap: guppy3's `hpy().heap()` partition of the same program's heap by kind (when guppy3
is installed). The issue's targets: 5 M objects snapshot in under 30 s, index with dominators in under 15 s.

Usage: python benchmarks/py_heap.py [--sessions N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.profiles import PMDESK, line, ratio, timed

ROOT = Path(__file__).resolve().parents[1]
BUILD = """
import json, sys, time


class Session:
    __slots__ = ("key", "payload")

    def __init__(self, key, payload):
        self.key, self.payload = key, payload


CACHE = {}
for i in range(int(sys.argv[2])):  # eight objects a session, as tests/data/heaps/python/leak_program.py makes
    key = f"session-{i:06d}"
    CACHE[key] = (key.upper(), Session(key + "!", [bytes(100), "x" * 50 + str(i)]))
"""
SNAPSHOT = BUILD + """
import pmdesk.capture
print(json.dumps(pmdesk.capture.snapshot(sys.argv[1])))
"""
HEAPY = BUILD + """
from guppy import hpy
t = time.perf_counter()
h = hpy().heap()
print(json.dumps({"objects": h.count, "bytes": h.size, "seconds": round(time.perf_counter() - t, 3)}))
"""


def _run(code: str, *argv: str) -> tuple[tuple[float, int], dict]:
    """(wall seconds, peak RSS) of the code in a fresh interpreter, and the JSON it printed."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    try:
        with out.open("w") as f:
            got = timed([sys.executable, "-c", code, *argv], stdout=f.fileno())
        return got, json.loads(out.read_text())
    finally:
        out.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=600_000)
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="pmdesk-pyheap-") as t:
        tmp = Path(t)
        snap = tmp / "big.pyheap"
        run, facts = _run(SNAPSHOT, str(snap), str(args.sessions))
        size = facts["bytes"]
        print(f"Python heap: {facts['objects']:,} objects, snapshot {size / 1e6:.0f} MB "
              f"({size / facts['objects']:.0f} B/object), Python {sys.version.split()[0]}")
        line("program run (build + snapshot)", *run)
        print(f"  the snapshot itself: {facts['seconds']:.1f} s, {facts['objects'] / facts['seconds'] / 1e3:,.0f} k "
              "objects/s")
        idx = ["--index-dir", str(tmp / "idx")]
        ours = timed([*PMDESK, "biggest", str(snap), "--top", "5", *idx])
        line("pmdesk biggest (index + dominators)", *ours, size)
        line("pmdesk biggest, reopened", *timed([*PMDESK, "biggest", str(snap), "--top", "5", *idx]))
        line("pmdesk suspects, reopened", *timed([*PMDESK, "suspects", str(snap), *idx]))
        try:
            import guppy  # noqa: F401
        except ImportError:
            print("guppy3 not installed: no ratio")
            return
        theirs, heapy = _run(HEAPY, "-", str(args.sessions))
        line("guppy3: program run + hpy().heap()", *theirs)
        print(f"  the partition itself: {heapy['seconds']:.1f} s for {heapy['objects']:,} objects")
        ratio(ours, theirs)


if __name__ == "__main__":
    main()
