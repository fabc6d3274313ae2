"""Open-ended fuzzing (the long version of tests/test_fuzz.py): mutants of every reader's real artefacts run
through pmdesk under an address-space limit and a timeout for --hours; the mutants that fail are kept, made
minimal (each changed span the failure does not need put back), as reproducers to turn into regression tests,
and a table per reader artefact is printed: cases, clean, traceback, signal, timeout, memory (a MemoryError,
or resident memory past tests/fuzz/harness.py's bound).

With --coverage TARGET (one of `python -m tests.fuzz.coverage --list`) it runs the coverage-guided fuzzer on
that reader for --hours instead, keeping libFuzzer's crash-… reproducers in --keep.

Usage: python benchmarks/fuzz.py [--hours 0.1] [--seed 1] [--keep DIR] [--boundscheck] [--coverage TARGET]
       python benchmarks/fuzz.py --recheck DIR [--boundscheck]     (the kept mutants run again)
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import KINDS, SAMPLES, artefact, mutant, run_many  # noqa: E402

BATCH = 200  # cases a worker interpreter runs


COLUMNS = ("clean", "traceback", "signal", "timeout", "memory")


def print_table(table: dict[str, Counter[str]], what: str) -> None:
    """`what` (reader artefact, mutation kind) × mutants × clean / traceback / signal / timeout / memory (and what
    else was seen); a mutant counts once, by the first of its two commands that was not clean."""
    print(f"{what:<36}{'cases':>7}" + "".join(f"{c:>10}" for c in COLUMNS) + "  other")
    for name, seen in sorted(table.items()):
        by = Counter()
        for outcome, n in seen.items():
            by[outcome.split()[0]] += n
        other = ", ".join(f"{k} {v}" for k, v in seen.items() if k.split()[0] not in COLUMNS) or "-"
        print(f"{name:<36}{sum(seen.values()):>7}" + "".join(f"{by[c]:>10}" for c in COLUMNS) + f"  {other}")


def _regions(a: bytes, b: bytes) -> list[tuple[int, int]]:
    """The spans where two equal-length byte strings differ (spans closer than 8 bytes merged)."""
    out: list[list[int]] = []
    for i in (i for i in range(len(a)) if a[i] != b[i]):
        if out and i - out[-1][1] < 8:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    return [(x, y) for x, y in out]


def minimal(original: bytes, mutated: bytes, suffix: str, command: str, outcome: str, boundscheck: bool) -> bytes:
    """The mutant with every changed span that the failure does not need put back as the artefact has it (a
    cut or an insertion is kept as it is: one change already)."""
    if len(original) != len(mutated):
        return mutated
    with tempfile.TemporaryDirectory(prefix="pmdesk-minimal-") as tmp:
        f = Path(tmp) / f"m{suffix}"
        for start, stop in reversed(_regions(original, mutated)):
            trial = mutated[:start] + original[start:stop] + mutated[stop:]
            f.write_bytes(trial)
            results = [r for _k, r in run_many([(f, command, Path(tmp) / "idx")], boundscheck)]
            if any(r.outcome.split()[0] == outcome.split()[0] for r in results):
                mutated = trial
    return mutated


def _kept_command(name: str) -> str:
    """The command of a kept mutant's name: the part after its mutation kind."""
    parts = name.split(".")
    return parts[next(i for i, p in enumerate(parts) if p in (*KINDS, "field", "nest")) + 1]


def recheck(keep: Path, boundscheck: bool) -> int:
    """Each kept mutant (named artefact.n.kind.command.outcome.suffix) run again; prints what it does now."""
    kept = sorted(keep.iterdir())
    with tempfile.TemporaryDirectory(prefix="pmdesk-recheck-") as tmp:
        cases = [(f, _kept_command(f.name), Path(tmp) / f"idx{k}") for k, f in enumerate(kept)]
        for k, r in run_many(cases, boundscheck):
            print(f"{kept[k].name}: {r.command}: {r.outcome}" + (f": {r.stderr.strip()[-300:]}"
                                                                  if r.outcome != "clean" else ""))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boundscheck", action="store_true", help="numba kernels compiled with bounds checks (their "
                    "first compile takes minutes; kept in their own cache)")
    ap.add_argument("--keep", default="fuzz-failures", help="where failing mutants are kept (default ./fuzz-failures)")
    ap.add_argument("--coverage", metavar="TARGET", help="coverage-guided fuzzing (atheris) of one Python reader")
    ap.add_argument("--recheck", metavar="DIR", help="run the mutants a campaign kept in DIR again (after a fix)")
    a = ap.parse_args()
    if a.recheck:
        return recheck(Path(a.recheck), a.boundscheck)
    if a.coverage:
        Path(a.keep).mkdir(exist_ok=True)
        return subprocess.run([sys.executable, "-m", "tests.fuzz.coverage", a.coverage, f"-seed={a.seed}",
                               f"-max_total_time={int(a.hours * 3600)}", f"-artifact_prefix={Path(a.keep).resolve()}/"],
                              cwd=ROOT).returncode
    rng = random.Random(a.seed)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    keep = Path(a.keep)
    end = time.monotonic() + a.hours * 3600
    with tempfile.TemporaryDirectory(prefix="pmdesk-fuzz-") as tmp:
        i = 0
        failing: list[tuple[bytes, Path, str, str]] = []
        while time.monotonic() < end:  # a batch of cases per worker interpreter (tests/fuzz/worker.py)
            batch = []
            for _ in range(BATCH):
                sample, command = SAMPLES[i % len(SAMPLES)]
                data, suffix = artefact(sample)
                kind, mutated = mutant(data, rng, suffix)
                f = Path(tmp) / f"m{i}{suffix}"
                f.write_bytes(mutated)
                batch.append((sample, kind, i, f, command))
                i += 1
            worst: dict[int, str] = {}  # a mutant's outcome: its first command's that is not clean
            for k, r in run_many([(f, c, Path(tmp) / f"idx{n}") for _s, _k, n, f, c in batch], a.boundscheck):
                sample, kind, n, f, _c = batch[k]
                if worst.get(k, "clean") == "clean":
                    worst[k] = r.outcome
                if r.outcome != "clean":
                    keep.mkdir(exist_ok=True)
                    outcome = r.outcome.replace(" ", "")
                    kept = keep / f"{sample.name}.{n}.{kind}.{r.command}.{outcome}{f.suffix}"
                    shutil.copy(f, kept)
                    failing.append((artefact(sample)[0], kept, r.command, r.outcome))
            for original, kept, command, outcome in failing:  # each kept mutant made minimal
                kept.write_bytes(minimal(original, kept.read_bytes(), kept.suffix, command, outcome, a.boundscheck))
            failing.clear()
            for k, outcome in worst.items():
                table[batch[k][0].name][outcome] += 1
                by_kind[batch[k][1]][outcome] += 1
            for _s, _k, _n, f, _c in batch:
                f.unlink()
            shutil.rmtree(Path(tmp), ignore_errors=True)
            Path(tmp).mkdir(exist_ok=True)
    print_table(table, "reader artefact")
    print()
    print_table(by_kind, "mutation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
