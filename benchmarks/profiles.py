"""Benchmark: profiles, each against the real tool on the same file, every tool in a fresh process (wall time,
peak RSS, the ratio):

1. a `perf record --call-graph dwarf,8192` recording of tests/data/profiles/workload.c built without frame
   pointers (11 s at 999 Hz: about 3,600 samples, 30 MB): `pmdesk profile --folded` (records scanned, every
   user stack copy unwound by CFI, frames named, the index written) against `perf script` (which unwinds them
   too);
2. a Go heap profile of about 100 MB of protobuf (gzipped as Go writes it): a Go program allocating through
   3.3 M of 16**6 distinct call paths with MemProfileRate=1 writes it with runtime/pprof; `pmdesk profile --type
   alloc_space --top 20` against `go tool pprof -top -sample_index=alloc_space`;
3. a flame graph of 1,000,000 distinct stacks: folded stacks of a random call tree (seeded), indexed by
   `pmdesk index`, then in one process the profile selected and a 1600×1000 flame graph painted (offscreen
   Qt), against FlameGraph's flamegraph.pl drawing the same file as SVG (FLAMEGRAPH names a checkout).

Needs root for perf (skipped otherwise), Go for (2), Perl and a FlameGraph checkout for (3)'s ratio. Files
go to a temporary folder, never kept.

Usage: python benchmarks/profiles.py [--only dwarf|pprof|flame]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKLOAD = ROOT / "tests" / "data" / "profiles" / "workload.c"
PMDESK = [sys.executable, "-m", "pmdesk"]
FLAMEGRAPH = Path(os.environ.get("FLAMEGRAPH", "/work/tools/FlameGraph"))

GO_HEAP = """package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
)

var keep []byte

func step(d, x int) {
	if d == 0 {
		keep = make([]byte, 16+x%4096)
		return
	}
	fns[x%16](d-1, x/16)
}

//go:noinline
func f0(d, x int) { step(d, x) }
//go:noinline
func f1(d, x int) { step(d, x) }
//go:noinline
func f2(d, x int) { step(d, x) }
//go:noinline
func f3(d, x int) { step(d, x) }
//go:noinline
func f4(d, x int) { step(d, x) }
//go:noinline
func f5(d, x int) { step(d, x) }
//go:noinline
func f6(d, x int) { step(d, x) }
//go:noinline
func f7(d, x int) { step(d, x) }
//go:noinline
func f8(d, x int) { step(d, x) }
//go:noinline
func f9(d, x int) { step(d, x) }
//go:noinline
func f10(d, x int) { step(d, x) }
//go:noinline
func f11(d, x int) { step(d, x) }
//go:noinline
func f12(d, x int) { step(d, x) }
//go:noinline
func f13(d, x int) { step(d, x) }
//go:noinline
func f14(d, x int) { step(d, x) }
//go:noinline
func f15(d, x int) { step(d, x) }

var fns [16]func(int, int)

func main() {
	fns = [16]func(int, int){f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15}
	runtime.MemProfileRate = 1
	n, _ := strconv.Atoi(os.Args[2])
	for i := 0; i < n; i++ {
		step(6, i*7919%(1<<24))
	}
	runtime.GC()
	f, _ := os.Create(os.Args[1])
	pprof.WriteHeapProfile(f)
	f.Close()
}
"""


def timed(argv: list[str], cwd: Path | None = None, stdout: int | None = subprocess.DEVNULL) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in bytes."""
    t = time.perf_counter()
    child = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, cwd=cwd)
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(argv)} failed")
    return time.perf_counter() - t, usage.ru_maxrss * 1024


def line(what: str, wall: float, rss: int, size: int | None = None) -> None:
    rate = f"  {size / wall / 1e6:7.1f} MB/s" if size else ""
    print(f"  {what:<44} {wall:7.2f} s  {rss / 1e6:8.0f} MB peak{rate}")


def ratio(ours: tuple[float, int], theirs: tuple[float, int]) -> None:
    print(f"  {'ratio (real tool / pmdesk)':<44} {theirs[0] / ours[0]:7.1f}×    {theirs[1] / ours[1]:7.1f}× memory")


def dwarf(tmp: Path) -> None:
    print("perf record --call-graph dwarf,8192 (workload without frame pointers)")
    if os.geteuid() != 0 or not shutil.which("perf") or not shutil.which("gcc"):
        print("  skipped: needs root, perf and gcc")
        return
    exe = tmp / "workload-nofp"
    subprocess.run(["gcc", "-O1", "-g", "-fomit-frame-pointer", "-fno-inline", "-o", str(exe), str(WORKLOAD)],
                   check=True)
    data = tmp / "perf-dwarf.data"
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "--call-graph", "dwarf,8192", "-o",
                    str(data), str(exe), "11"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    size = data.stat().st_size
    samples = subprocess.run(["perf", "script", "-i", str(data), "-F", "time"], capture_output=True,
                             text=True).stdout.count("\n")
    print(f"  {size / 1e6:.1f} MB, {samples:,} samples")
    ours = timed([*PMDESK, "profile", str(data), "--folded", "--index-dir", str(tmp / "idx-dwarf")])
    line("pmdesk profile --folded (index, unwind, names)", *ours, size)
    again = timed([*PMDESK, "profile", str(data), "--folded", "--index-dir", str(tmp / "idx-dwarf")])
    line("pmdesk profile --folded, reopened", *again)
    theirs = timed(["perf", "script", "-i", str(data)])
    line("perf script", *theirs, size)
    ratio(ours, theirs)


def pprof(tmp: Path) -> None:
    print("Go heap profile (runtime/pprof, MemProfileRate=1)")
    go = shutil.which("go")
    if go is None:
        print("  skipped: needs Go")
        return
    src = tmp / "goheap"
    src.mkdir()
    (src / "main.go").write_text(GO_HEAP)
    subprocess.run([go, "mod", "init", "goheap"], cwd=src, check=True, capture_output=True)
    subprocess.run([go, "build", "-o", "goheap", "."], cwd=src, check=True)
    prof = tmp / "heap.pb.gz"
    subprocess.run([str(src / "goheap"), str(prof), "3300000"], check=True)
    raw = len(gzip.decompress(prof.read_bytes()))
    print(f"  {raw / 1e6:.1f} MB of protobuf ({prof.stat().st_size / 1e6:.1f} MB gzipped)")
    ours = timed([*PMDESK, "profile", str(prof), "--type", "alloc_space", "--top", "20", "--index-dir",
                  str(tmp / "idx-pprof")])
    line("pmdesk profile --type alloc_space --top 20", *ours, raw)
    again = timed([*PMDESK, "profile", str(prof), "--type", "alloc_space", "--top", "20", "--index-dir",
                   str(tmp / "idx-pprof")])
    line("pmdesk, reopened", *again)
    theirs = timed([go, "tool", "pprof", "-top", "-nodecount=20", "-sample_index=alloc_space", str(src / "goheap"),
                    str(prof)])
    line("go tool pprof -top -sample_index=alloc_space", *theirs, raw)
    ratio(ours, theirs)


def folded_tree(path: Path, stacks: int, seed: int = 17) -> None:
    """`stacks` distinct folded stacks: paths of a random call tree (fan-out 6–12, depth 8–40), each with a
    weight of 1–1000."""
    rng = random.Random(seed)
    names = [f"mod{m}::function_{i}" for m in range(40) for i in range(250)]
    seen: set[tuple[str, ...]] = set()
    with path.open("w") as f:
        spine: list[str] = ["main"]
        while len(seen) < stacks:
            depth = rng.randint(8, 40)
            cut = rng.randint(1, min(len(spine), depth))
            spine = spine[:cut]
            while len(spine) < depth:
                spine.append(names[rng.randrange(len(names)) // 20 * 20 + rng.randrange(6 + len(spine) % 7)])
            key = tuple(spine)
            if key in seen:
                continue
            seen.add(key)
            f.write(f"{';'.join(spine)} {rng.randint(1, 1000)}\n")


def flame_child(folded: str, index_dir: str) -> None:
    """In this process: the indexed folded stacks selected into a profile and its flame graph painted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from pmdesk.model.dump import Dump
    from pmdesk.model.samples import profile as model
    from pmdesk.views.common.flame_graph import FlameGraph
    from pmdesk.views.samples.base import ProfileSource

    app = QApplication([])
    t0 = time.perf_counter()
    dump = Dump.open(folded, index_dir=index_dir)
    samples = model.load(dump)
    t1 = time.perf_counter()
    prof = model.select(samples)
    prof.order_children(model.DRAWN_SHARE)  # what the GUI's worker computes before the first paint
    t2 = time.perf_counter()
    w = FlameGraph()
    w.resize(1600, 1000)
    w.set_source(ProfileSource(prof))
    w.grab()
    t3 = time.perf_counter()
    w.grab()
    t4 = time.perf_counter()
    print(f"  {'load the index':<44} {t1 - t0:7.2f} s")
    print(f"  {'select, sum, child lists (worker thread)':<44} {t2 - t1:7.2f} s")
    print(f"  {'first paint, 1600×1000 (GUI thread)':<44} {t3 - t2:7.2f} s  ({len(w.boxes):,} boxes)")
    print(f"  {'paint again':<44} {t4 - t3:7.2f} s")
    print(f"  {'select + first paint':<44} {t3 - t1:7.2f} s")
    app.quit()


def flame(tmp: Path) -> None:
    print("flame graph of 1,000,000 distinct stacks (folded)")
    folded = tmp / "million.folded"
    folded_tree(folded, 1_000_000)
    size = folded.stat().st_size
    print(f"  {size / 1e6:.1f} MB of folded stacks")
    idx = tmp / "idx-flame"
    index = timed([*PMDESK, "index", str(folded), "--index-dir", str(idx)])
    line("pmdesk index (read, build the stack trie)", *index, size)
    ours = timed([sys.executable, __file__, "--flame-child", str(folded), str(idx)], stdout=None)
    line("select + paint, whole process", *ours)
    script = FLAMEGRAPH / "flamegraph.pl"
    if not script.exists() or not shutil.which("perl"):
        print("  flamegraph.pl: skipped (set FLAMEGRAPH to a FlameGraph checkout)")
        return
    with (tmp / "million.svg").open("wb") as out:
        theirs = timed(["perl", str(script), str(folded)], stdout=out.fileno())
    line("flamegraph.pl (SVG)", *theirs, size)
    ratio((index[0] + ours[0], max(index[1], ours[1])), theirs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["dwarf", "pprof", "flame"])
    ap.add_argument("--flame-child", nargs=2, metavar=("FOLDED", "INDEX_DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.flame_child:
        flame_child(*args.flame_child)
        return
    with tempfile.TemporaryDirectory() as d:
        for name, run in (("dwarf", dwarf), ("pprof", pprof), ("flame", flame)):
            if args.only in (None, name):
                run(Path(d))


if __name__ == "__main__":
    main()
