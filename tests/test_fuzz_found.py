"""The mutants the fuzzing harness found failing, made again from their seeds (the harness's mutations are
deterministic) and kept as regression tests, one class of fault each: a tombstone's fault address with bytes
that are not hex (ValueError), perf.data attribute masks with the top bit set (OverflowError in numpy), a
minidump whose Crashpad annotations all point at the same megabyte (MemoryError), memray captures whose flipped
bits crash memray's C++ reader (SIGSEGV: it now runs in a child), and a Python snapshot's damaged description
and negative sizes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.fuzz.harness import SAMPLES, artefact, mutate, run_many

FOUND = {"made-tombstone_00.txt": (20, 59), "perf-fpz.data": (47,), "minidump_crashpad_annotation.dmp": (62,),
         "alloc.memray": (42, 70)}


def _mutants(name: str, wanted: tuple[int, ...], where: Path) -> list[tuple[Path, str, Path]]:
    sample, command = next((s, c) for s, c in SAMPLES if s.name == name)
    rng = random.Random(f"{name}-2026")  # tests/test_fuzz.py's seed: mutant k is its k-th
    data, suffix = artefact(sample)
    out = []
    for k in range(max(wanted) + 1):
        _kind, mutant = mutate(data, rng)
        if k in wanted:
            f = where / f"{sample.stem}-{k}{suffix}"
            f.write_bytes(mutant)
            out.append((f, command, where / f"idx{k}"))
    return out


@pytest.mark.parametrize("name", sorted(FOUND))
def test_the_mutants_found_fail_cleanly(name: str, tmp_path: Path) -> None:
    if not any(s.name == name for s, _c in SAMPLES):
        pytest.skip(f"{name} is not here")
    results = list(run_many(_mutants(name, FOUND[name], tmp_path)))
    assert results and all(r.outcome == "clean" for _k, r in results), [(r.command, r.outcome, r.stderr[-400:])
                                                                         for _k, r in results]


def _word(v: int) -> bytes:
    return (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def test_a_snapshots_damaged_description_and_negative_sizes_are_said(tmp_path: Path) -> None:
    """A Python snapshot whose META record is not JSON and whose one object claims -8 bytes: read, each said."""
    from pmdesk.model.dump import Dump

    words = [3, 0x1000, 0x2000, -8, 0,            # OBJECT id, type id, size -8, no references
             1, 3, int.from_bytes(b"{no\0\0\0\0\0", "little"),  # STRING 0: '{no' (not JSON)
             9, 0,                                 # META: string 0
             0, 1]                                 # END: 1 object
    snap = tmp_path / "damaged.pyheap"
    snap.write_bytes(b"pmdesk pyheap 1\n" + b"".join(_word(w) for w in words))
    d = Dump.open(snap, index_dir=tmp_path / "i")
    codes = {x.code for x in d.diagnostics()}
    assert {"pyheap.meta", "pyheap.size"} <= codes
    assert d.meta["summary.shallow_bytes"] == 0


@pytest.mark.parametrize("record", [
    [7, 0x10, 0, 0, 1, (1 << 62) + 1],  # FRAME with 2**62 + 1 locals: 2 * count wrapped to a small number
    [6, 1, 0, (1 << 63) - 1],           # THREAD with 2**63 - 1 frames: 4 + count wrapped negative
    [4, 0x10, (1 << 62) + 1],           # LABELS with 2**62 + 1 pairs
    [1, (1 << 63) - 1],                 # STRING of 2**63 - 1 bytes: (length + 7) // 8 wrapped negative
])
def test_counts_near_2_63_in_a_snapshot_do_not_wrap(record: list[int], tmp_path: Path) -> None:
    """Found by the bounds-checked campaign (NUMBA_BOUNDSCHECK=1): a count near 2**63 wrapped the walk's
    arithmetic, which then read before the start of the snapshot. Now it is a cut, said in one warning."""
    snap = tmp_path / "huge-count.pyheap"
    snap.write_bytes(b"pmdesk pyheap 1\n" + b"".join(_word(w) for w in [3, 0x1000, 0x2000, 32, 0, *record, 0, 1]))
    results = list(run_many([(snap, "histogram", tmp_path / "i")]))
    assert [r.outcome for _k, r in results] == ["clean", "clean"], [r.stderr for _k, r in results]
    assert "cut short" in results[0][1].stderr or "damaged" in results[0][1].stderr
