"""A fixed seed set of the fuzzing harness (tests/fuzz/harness.py) over every reader's real artefacts: no
traceback, no signal, no timeout, no runaway memory — just exit 0 or one clear line. Two worker interpreters
(one a core) run the cases, each `pmdesk info` and the reader's own command on a mutant; half the mutants are
structure-aware (a length, count or offset field set to an interesting value). Then a fixed run of the
coverage-guided fuzzer over the readers written in Python."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fuzz.harness import SAMPLES, artefact, mutant, run_many

PER_SAMPLE = int(os.environ.get("PMDESK_FUZZ_CASES", "30"))  # mutants of each artefact (benchmarks/fuzz.py: more)
BIG_BYTES = 1 << 20  # an artefact this big (a heap dump: seconds a mutant) gets a third as many
COVERAGE_RUNS = int(os.environ.get("PMDESK_FUZZ_COVERAGE_RUNS", "80"))  # inputs per coverage-guided target


def mutants_of(data: bytes) -> int:
    """How many mutants of an artefact the fixed set runs."""
    return PER_SAMPLE // 3 if len(data) > BIG_BYTES else PER_SAMPLE


def test_mutants_of_every_readers_artefacts_fail_cleanly(tmp_path: Path) -> None:
    cases = []  # (mutant, command, index dir), with (artefact, mutation) beside
    about = []
    for n, (sample, command) in enumerate(SAMPLES):
        rng = random.Random(f"{sample.name}-2026")
        data, suffix = artefact(sample)
        for i in range(mutants_of(data)):
            kind, mutated = mutant(data, rng, suffix)
            f = tmp_path / f"s{n}-m{i}{suffix}"
            f.write_bytes(mutated)
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
    assert all(table[s.name]["clean"] == 2 * mutants_of(artefact(s)[0]) for s, _c in SAMPLES), table


def test_coverage_guided_inputs_to_the_python_readers_fail_cleanly(tmp_path: Path) -> None:
    """A fixed run of the coverage-guided fuzzer (tests/fuzz/coverage.py, atheris) on each reader written in
    Python: libFuzzer grows the seeds towards new branches; no input may escape as a traceback."""
    pytest.importorskip("atheris")
    from tests.fuzz.coverage import TARGETS, seeds

    root = Path(__file__).resolve().parents[1]
    targets = [t for t in TARGETS if seeds(t)]

    def run(target: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        r = subprocess.run([sys.executable, "-m", "tests.fuzz.coverage", target, f"-runs={COVERAGE_RUNS}", "-seed=1",
                            f"-artifact_prefix={tmp_path}/{target}-"], capture_output=True, text=True, cwd=root,
                           timeout=600)
        return target, r

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, targets))
    failed = [f"{t}: exit {r.returncode}: {r.stderr[-1500:]}" for t, r in results if r.returncode != 0]
    assert not failed, "\n".join(failed)
    assert not list(tmp_path.glob("*-crash-*")), sorted(tmp_path.iterdir())
