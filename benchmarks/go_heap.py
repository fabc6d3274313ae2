"""Benchmark: a Go heap dump of about 1 GB (runtime/debug.WriteHeapDump of tests/data/heaps/go/main.go with
millions of sessions in its leak, the runtime's default MemProfileRate), each step a fresh process (wall time,
peak RSS):

1. `pmdesk biggest` on the new dump: the index (records walked, pointers resolved, classes named) and the
   object graph with dominators and retained sizes, then the query;
2. the same again, reopened (index and graph kept);
3. `pmdesk suspects` and `pmdesk object` of the leak, reopened;
4. `pmdesk index --no-graph` alone, then with `--exe`: its objects typed by the program's DWARF too.

No other tool reads a Go heap dump (golang/go#45631; viewcore reads cores), so the ratio is to the nearest
thing a Go user has: `go tool pprof -top` on a heap profile written by the same process just before the
dump (what it sampled, not the graph). The issue's targets: a 1 GB dump indexed in under 15 s and 2 GB RSS.

Usage: python benchmarks/go_heap.py [--sessions N] [--payload BYTES]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.profiles import PMDESK, line, ratio, timed

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "data" / "heaps" / "go" / "main.go"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=4_000_000)
    ap.add_argument("--payload", type=int, default=128)
    args = ap.parse_args()
    go = shutil.which("go")
    if go is None:
        sys.exit("needs Go (apt-get install golang-go)")
    with tempfile.TemporaryDirectory(prefix="pmdesk-goheap-") as t:
        tmp = Path(t)
        (tmp / "main.go").write_text(PROGRAM.read_text())
        subprocess.run([go, "mod", "init", "leakdump"], cwd=tmp, check=True, capture_output=True)
        subprocess.run([go, "build", "-trimpath", "-o", "leakdump", "."], cwd=tmp, check=True)
        dump, truth, prof = tmp / "big.heapdump", tmp / "big.truth.json", tmp / "big.heap.pb.gz"
        subprocess.run([str(tmp / "leakdump"), "-sessions", str(args.sessions), "-payload", str(args.payload),
                        "-rate", "524288", "-out", str(dump), "-truth", str(truth), "-profile", str(prof)], check=True)
        facts = json.loads(truth.read_text())
        size = dump.stat().st_size
        print(f"Go heap dump: {size / 1e9:.2f} GB, {facts['heap_objects']:,} objects, "
              f"{facts['heap_alloc'] / 1e9:.2f} GB of heap ({facts['go_version']})")
        idx = ["--index-dir", str(tmp / "idx")]
        ours = timed([*PMDESK, "biggest", str(dump), "--top", "5", *idx])
        line("pmdesk biggest (index + dominators)", *ours, size)
        again = timed([*PMDESK, "biggest", str(dump), "--top", "5", *idx])
        line("pmdesk biggest, reopened", *again)
        line("pmdesk suspects, reopened", *timed([*PMDESK, "suspects", str(dump), *idx]))
        line("pmdesk object (the leak), reopened", *timed([*PMDESK, "object", str(dump), facts["registry_addr"], *idx]))
        plain = ["--index-dir", str(tmp / "idx-plain"), "--no-graph"]
        line("pmdesk index --no-graph (the index alone)", *timed([*PMDESK, "index", str(dump), *plain]), size)
        line("pmdesk index --no-graph --exe (typed by DWARF)", *timed([*PMDESK, "index", str(dump), *plain, "--exe",
                                                                        str(tmp / "leakdump")]), size)
        theirs = timed([go, "tool", "pprof", "-top", str(tmp / "leakdump"), str(prof)])
        line("go tool pprof -top (the heap profile)", *theirs)
        ratio(ours, theirs)


if __name__ == "__main__":
    main()
