"""A fixed seed set of the fuzzing harness (tests/fuzz/harness.py) over every reader's real artefacts: no
traceback, no signal, no timeout, no runaway memory — just exit 0 or one clear line. Two worker interpreters
(one a core) run the cases, each `pmdesk info` and the reader's own command on a mutant."""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.fuzz.harness import SAMPLES, artefact, mutate, run_many

PER_SAMPLE = int(os.environ.get("PMDESK_FUZZ_CASES", "40"))  # mutants of each artefact (benchmarks/fuzz.py: more)


def test_mutants_of_every_readers_artefacts_fail_cleanly(tmp_path: Path) -> None:
    cases = []  # (mutant, command, index dir), with (artefact, mutation) beside
    about = []
    for n, (sample, command) in enumerate(SAMPLES):
        rng = random.Random(f"{sample.name}-2026")
        data, suffix = artefact(sample)
        for i in range(PER_SAMPLE):
            kind, mutant = mutate(data, rng)
            f = tmp_path / f"s{n}-m{i}{suffix}"
            f.write_bytes(mutant)
            cases.append((f, command, tmp_path / f"idx{n}-{i}"))
            about.append((sample.name, kind))
    halves = [list(range(0, len(cases), 2)), list(range(1, len(cases), 2))]
    with ThreadPoolExecutor(2) as pool:
        ran = pool.map(lambda ks: [(ks[k], r) for k, r in run_many([cases[j] for j in ks])], halves)
        results = [x for part in ran for x in part]
    table: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for k, r in results:
        name, kind = about[k]
        table[name][r.outcome] += 1
        if r.outcome != "clean":
            failures.append(f"{name}: {kind} mutant {cases[k][0].name}, {r.command}: {r.outcome}: {r.stderr[-300:]}")
    assert not failures, "\n".join(failures)
    assert all(table[s.name]["clean"] == 2 * PER_SAMPLE for s, _c in SAMPLES), table
