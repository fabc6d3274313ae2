"""A fixed seed set of the fuzzing harness (tests/fuzz/harness.py) over every reader's real artefacts: no
traceback, no signal, no timeout, no runaway memory — just exit 0 or one clear line."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from tests.fuzz.harness import SAMPLES, mutate, run_case

PER_SAMPLE = 5


@pytest.mark.parametrize(("sample", "command"), SAMPLES, ids=[p.name for p, _c in SAMPLES])
def test_mutants_of_real_artefacts_fail_cleanly(sample: Path, command: str, tmp_path: Path) -> None:
    rng = random.Random(f"{sample.name}-2026")
    data = sample.read_bytes()
    seen: Counter[str] = Counter()
    failures = []
    for i in range(PER_SAMPLE):
        kind, mutant = mutate(data, rng)
        f = tmp_path / f"mutant{i}{sample.suffix}"
        f.write_bytes(mutant)
        for r in run_case(f, command, tmp_path / "idx"):
            seen[r.outcome] += 1
            if r.outcome != "clean":
                failures.append(f"{kind} mutant {i}, {r.command}: {r.outcome}: {r.stderr[-300:]}")
    assert not failures, "\n".join(failures)
    assert seen["clean"] == 2 * PER_SAMPLE
