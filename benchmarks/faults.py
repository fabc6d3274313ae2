"""Benchmark (long version of tests/test_faults.py): kill -9 at random points of indexing, of the graph pass
and of a diff, and while a JFR recording is indexed, then run the command again; several pmdesk processes on
one dump at once — many trials each, on the dumps given (default: the test dumps). Prints scenario × trials ×
outcomes.

Usage: python benchmarks/faults.py [--trials 40] [--dump A.hprof] [--other B.hprof]
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_faults import PMDESK, outcome  # noqa: E402  (what a run's end is called, as the tests call it)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PMDESK, *args], capture_output=True, text=True, timeout=1800, cwd=ROOT)


def killed(args: list[str], check: list[str], trials: int, max_s: float, idx: Path, fresh_every: int) -> Counter[str]:
    rng = random.Random(1)
    seen: Counter[str] = Counter()
    for t in range(trials):
        if t % fresh_every == 0:
            shutil.rmtree(idx, ignore_errors=True)
        p = subprocess.Popen([*PMDESK, *args, "--index-dir", str(idx)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(rng.uniform(0.1, max_s))
        p.send_signal(signal.SIGKILL)
        p.wait()
        seen[outcome(run(*check, "--index-dir", str(idx)))] += 1
    return seen


def racing(dump: str, trials: int, idx: Path) -> Counter[str]:
    seen: Counter[str] = Counter()
    for t in range(trials):
        d = idx / str(t)
        procs = [subprocess.Popen([*PMDESK, cmd, dump, "--index-dir", str(d)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT) for cmd in ("index", "biggest")]
        for p in procs:
            out, err = p.communicate(timeout=1800)
            seen[outcome(subprocess.CompletedProcess(p.args, p.returncode, out, err))] += 1
    return seen


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--dump", default=str(ROOT / "tests" / "data" / "leak-nocoops-phase1.hprof"))
    ap.add_argument("--other", default=str(ROOT / "tests" / "data" / "leak-phase2.hprof.gz"))
    ap.add_argument("--recording", default=str(ROOT / "tests" / "data" / "jfr" / "workload.jfr"))
    ap.add_argument("--max-seconds", type=float, default=4.0, help="kill within this many seconds of the start")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmdesk-faults-") as tmp:
        idx = Path(tmp)
        rows = {
            "kill -9 while indexing (then biggest)": killed(["index", a.dump, "--no-graph"], ["biggest", a.dump],
                                                           a.trials, a.max_seconds, idx / "i", 1),
            "kill -9 in index + graph pass": killed(["index", a.dump], ["biggest", a.dump], a.trials, a.max_seconds,
                                                    idx / "g", 3),
            "kill -9 in --force rebuilds": killed(["index", a.dump, "--force"], ["biggest", a.dump], a.trials,
                                                  a.max_seconds, idx / "f", a.trials + 1),
            "kill -9 during a diff": killed(["diff", a.dump, a.other], ["diff", a.dump, a.other], a.trials,
                                            a.max_seconds * 2, idx / "d", a.trials + 1),
            "kill -9 while indexing a JFR recording": killed(["index", a.recording], ["events", a.recording],
                                                             a.trials, 1.5, idx / "j", 1),
            "index and biggest at once": racing(a.dump, a.trials // 2 or 1, idx / "r"),
        }
    print(f"{'scenario':<40}{'trials':>7}  outcomes")
    for name, seen in rows.items():
        print(f"{name:<40}{sum(seen.values()):>7}  " + ", ".join(f"{k} {v}" for k, v in seen.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
