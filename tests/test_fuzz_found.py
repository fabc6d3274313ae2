"""The mutants the fuzzing harness found failing, made again from their seeds (the harness's mutations are
deterministic) and kept as regression tests, one class of fault each: a tombstone's fault address with bytes
that are not hex (ValueError), perf.data attribute masks with the top bit set (OverflowError in numpy), a
minidump whose Crashpad annotations all point at the same megabyte (MemoryError), memray captures whose flipped
bits crash memray's C++ reader (SIGSEGV: it now runs in a child), and a Python snapshot's damaged description
and negative sizes."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fuzz.harness import DATA, SAMPLES, artefact, mutate, run_many

FOUND = {"made-tombstone_00.txt": (20, 59), "perf-fpz.data": (47,), "minidump_crashpad_annotation.dmp": (62,),
         "alloc.memray": (42, 70)}


def _mutants(name: str, wanted: tuple[int, ...], where: Path) -> list[tuple[Path, str, Path]]:
    sample, command = next((s, c) for s, c in SAMPLES if s.name == name)
    rng = random.Random(f"{name}-2026")  # the first seed set (unstructured mutants): mutant k is its k-th
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


def _edited(tmp_path: Path, source: Path, name: str, edit: Callable[[bytes], bytes]) -> Path:
    out = tmp_path / name
    data = source.read_bytes()
    out.write_bytes(edit(data))
    assert out.read_bytes() != data
    return out


def test_the_structure_aware_finds_fail_cleanly(tmp_path: Path) -> None:
    """Found by the structure-aware mutants (one field of the format set to an interesting value), each a
    class: a heapy row count of 400 digits (OverflowError into numpy: numbers past 64 bits are a damaged row), a
    pprof sample whose length is 0 (its fields then read as the profile's own: a sample field as a varint gave
    negative spans), a tombstone BuildId of odd length (bytes.fromhex), a JSON thread dump's monitor depth of
    2**66 (NOT NULL into SQLite: the lock is kept, its frame unknown)."""
    data = DATA / "samples" / "heapy" / "growing.heapy"
    heapy = _edited(tmp_path, data, "big.heapy", lambda d: d.replace(b".r: 157 ", b".r: " + b"9" * 400 + b" ", 1))
    pprof = tmp_path / "zero-sample.pb.gz"
    inner = bytearray(gzip.decompress((DATA / "profiles" / "go" / "cpu.pb.gz").read_bytes()))
    assert inner[3389:3391] == b"\x12\x18"  # a sample (field 2) of 24 bytes
    inner[3390] = 0
    pprof.write_bytes(gzip.compress(bytes(inner)))
    tomb = _edited(tmp_path, DATA / "android" / "made-tombstone_00.txt", "odd.txt",
                   lambda d: d.replace(b"(BuildId: c3c7c5cd458014fcf564da288d83f5b95e7498ac)",
                                       b"(BuildId: c3c7c5cd458014fcf564da288d83f5b95e7498a)", 1))
    deep = _edited(tmp_path, DATA / "threads" / "jdk25-vthreads.dump.json", "depth.json",
                   lambda d: d.replace(b'"depth": 4', b'"depth": ' + str(2**66).encode(), 1))
    cases = [(heapy, "heapy", tmp_path / "i1"), (pprof, "profile", tmp_path / "i2"), (tomb, "stack", tmp_path / "i3"),
             (deep, "threads", tmp_path / "i4")]
    results = [(cases[k][0].name, r) for k, r in run_many(cases)]
    assert all(r.outcome == "clean" for _n, r in results), [(n, r.command, r.stderr[-300:]) for n, r in results]
    assert "damaged row" in results[0][1].stderr


def test_a_core_note_naming_4_gb_is_a_damaged_note_not_a_memory_error(tmp_path: Path) -> None:
    """Found by the bounds-checked campaign's structure-aware mutants: a note header whose name size is
    0xffffffff — pyelftools reads a note's name with the size its header claims, so under the harness's 4 GB
    address-space limit it was a MemoryError. The notes are now walked on the segment's bytes first."""
    core = bytearray((DATA / "native" / "cores" / "segv_chain.core").read_bytes())
    phoff, phnum = int.from_bytes(core[32:40], "little"), int.from_bytes(core[56:58], "little")
    notes = next(phoff + 56 * i for i in range(phnum) if core[phoff + 56 * i] == 4)  # PT_NOTE
    at = int.from_bytes(core[notes + 8:notes + 16], "little")
    for _ in range(3):  # past the first three notes, to the fourth one's header
        namesz, descsz = int.from_bytes(core[at:at + 4], "little"), int.from_bytes(core[at + 4:at + 8], "little")
        at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    core[at:at + 4] = b"\xff\xff\xff\xff"
    f = tmp_path / "huge-note.core"
    f.write_bytes(bytes(core))
    results = list(run_many([(f, "stack", tmp_path / "i")]))
    assert [r.outcome for _k, r in results] == ["clean", "clean"], [r.stderr for _k, r in results]
    assert "note header" in results[0][1].stderr and "damaged" in results[0][1].stderr


def test_a_tracemalloc_trace_whose_domain_is_not_a_number(tmp_path: Path) -> None:
    """Found by the coverage-guided fuzzer: one opcode of a real snapshot turned from BININT1 into
    SHORT_BINBYTES makes a trace's domain bytes, which sorted against the other domains (TypeError). Every
    field of a trace is now checked: domain and size integers of 64 bits."""
    data = bytearray((DATA / "samples" / "tracemalloc" / "a.tracemalloc").read_bytes())
    assert data[7438] == 0x4B  # BININT1: a trace's domain
    data[7438] = 0x43  # SHORT_BINBYTES
    f = tmp_path / "domain.tracemalloc"
    f.write_bytes(bytes(data))
    results = list(run_many([(f, "allocations", tmp_path / "i")]))
    assert [r.outcome for _k, r in results] == ["clean", "clean"], [r.stderr for _k, r in results]
    assert "damaged trace" in results[0][1].stderr
