"""Open-ended fuzzing (the long version of tests/test_fuzz.py): mutants of every reader's real artefacts run
through pmdesk under an address-space limit and a timeout for --hours; the mutants that fail are kept (as
minimal reproducers to turn into regression tests) and a table per reader is printed: cases, clean, and
failures by kind.

Usage: python benchmarks/fuzz.py [--hours 0.1] [--seed 1] [--keep DIR] [--boundscheck]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import SAMPLES, artefact, mutate, run_many  # noqa: E402

BATCH = 200  # cases a worker interpreter runs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boundscheck", action="store_true", help="numba kernels compiled with bounds checks (their "
                    "first compile takes minutes; kept in their own cache)")
    ap.add_argument("--keep", default="fuzz-failures", help="where failing mutants are kept (default ./fuzz-failures)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    keep = Path(a.keep)
    end = time.monotonic() + a.hours * 3600
    with tempfile.TemporaryDirectory(prefix="pmdesk-fuzz-") as tmp:
        i = 0
        while time.monotonic() < end:  # a batch of cases per worker interpreter (tests/fuzz/worker.py)
            batch = []
            for _ in range(BATCH):
                sample, command = SAMPLES[i % len(SAMPLES)]
                data, suffix = artefact(sample)
                kind, mutant = mutate(data, rng)
                f = Path(tmp) / f"m{i}{suffix}"
                f.write_bytes(mutant)
                batch.append((sample, kind, i, f, command))
                i += 1
            for k, r in run_many([(f, c, Path(tmp) / f"idx{n}") for _s, _k, n, f, c in batch], a.boundscheck):
                sample, kind, n, f, _c = batch[k]
                table[sample.name][r.outcome] += 1
                if r.outcome != "clean":
                    keep.mkdir(exist_ok=True)
                    shutil.copy(f, keep / f"{sample.name}.{n}.{kind}.{r.command}.{r.outcome.replace(' ', '')}")
            for _s, _k, _n, f, _c in batch:
                f.unlink()
            shutil.rmtree(Path(tmp), ignore_errors=True)
            Path(tmp).mkdir(exist_ok=True)
    print(f"{'reader artefact':<34}{'cases':>7}{'clean':>7}  failures")
    for name, seen in sorted(table.items()):
        fails = ", ".join(f"{k} {v}" for k, v in seen.items() if k != "clean") or "none"
        print(f"{name:<34}{sum(seen.values()):>7}{seen['clean']:>7}  {fails}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
