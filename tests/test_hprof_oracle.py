"""The class histogram of every corpus heap dump equals `jmap -histo:live` of the same JVM.

Two differences come from the dump files themselves, not from reading them, and are checked exactly:
- With compressed oops, jmap counts CDS-archived java.lang.Class mirrors of classes that were never
  loaded ("dormant" archived objects); HotSpot's heap dumper skips them on purpose
  (DumperSupport::mask_dormant_archived_object), so they are not in the file. Without compressed oops
  there is no archived heap and java.lang.Class must match exactly (it does).
- jmap ran just before the dump; a few JDK-internal objects already waiting for their Cleaner
  (MethodHandleNatives$CallSiteContext and the PhantomCleanableRef that tracks it) were collected by
  the dump's own GC. Those classes may have fewer objects in the dump, never more, and every one of
  them has exactly jmap's per-object size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from tests import jmap_histo
from tests.conftest import CORPUS_JVM, DATA, NOCOOPS, SAMPLE

CLEANER_PENDING = {"java.lang.invoke.MethodHandleNatives$CallSiteContext",
                   "jdk.internal.ref.CleanerImpl$PhantomCleanableRef"}

CASES = [
    (SAMPLE, DATA / "leak-phase1.histo.txt", True),
    (NOCOOPS, DATA / "leak-nocoops-phase1.histo.txt", False),
    (CORPUS_JVM / "leak-phase1.hprof", CORPUS_JVM / "leak-phase1.histo.txt", True),
    (CORPUS_JVM / "leak-phase2.hprof", CORPUS_JVM / "leak-phase2.histo.txt", True),
    (CORPUS_JVM / "leak-nocoops-phase1.hprof", CORPUS_JVM / "leak-nocoops-phase1.histo.txt", False),
]


@pytest.mark.parametrize(("dump_path", "histo_path", "coops"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_histogram_equals_jmap(dump_path: Path, histo_path: Path, coops: bool, index_dir: Path) -> None:
    if not dump_path.exists():
        pytest.skip(f"{dump_path} not present")
    expected = jmap_histo.parse(histo_path)
    with Dump.open(str(dump_path), index_dir=index_dir) as dump:
        ours = {r.name: (r.count, r.shallow_bytes) for r in heap.histogram(dump)}
        size_of = {n: b for n, b in dump.conn.execute("SELECT name, instance_bytes FROM hprof_class")}
        assert dump.meta["hprof.reference_bytes"] == (4 if coops else 8)
        assert dump.meta["hprof.size_corrections"] == 0  # every size came from the layout rules
    mismatched = []
    for name in sorted(set(expected) | set(ours)):
        got, want = ours.get(name, (0, 0)), expected.get(name, (0, 0))
        if got == want:
            continue
        if name == "java.lang.Class" and coops and got[0] < want[0]:
            continue
        if name in CLEANER_PENDING and got[0] < want[0] and want[1] == want[0] * size_of[name] \
                and got[1] == got[0] * size_of[name]:
            continue
        mismatched.append((name, got, want))
    assert mismatched == []


def test_class_mirrors_exact_without_compressed_oops(index_dir: Path) -> None:
    expected = jmap_histo.parse(DATA / "leak-nocoops-phase1.histo.txt")
    with Dump.open(str(NOCOOPS), index_dir=index_dir) as dump:
        ours = {r.name: (r.count, r.shallow_bytes) for r in heap.histogram(dump)}
    assert ours["java.lang.Class"] == expected["java.lang.Class"]


def test_gzip_and_plain_dump_of_same_state_agree(index_dir: Path) -> None:
    plain = CORPUS_JVM / "leak-phase1.hprof"
    if not plain.exists():
        pytest.skip("corpus not present")
    with Dump.open(str(plain), index_dir=index_dir) as a, Dump.open(str(SAMPLE), index_dir=index_dir) as b:
        ha = {r.name: (r.count, r.shallow_bytes) for r in heap.histogram(a)}
        hb = {r.name: (r.count, r.shallow_bytes) for r in heap.histogram(b)}
        assert b.meta["hprof.compressed"] is True
    assert ha == hb


def test_program_instance_counts(index_dir: Path) -> None:
    """The program's own count of its objects (truth file) equals ours."""
    import json

    truth_path = CORPUS_JVM / "leak-phase2.truth.json"
    if not truth_path.exists():
        pytest.skip("corpus not present")
    truth = json.loads(truth_path.read_text())
    with Dump.open(str(CORPUS_JVM / "leak-phase2.hprof"), index_dir=index_dir) as dump:
        ours = {r.name: r.count for r in heap.histogram(dump)}
    for cls, n in truth["expected"]["instance_counts"].items():
        assert ours[cls] == n


# truth.py names records as the hprof format document does; pmdesk uses HotSpot's HPROF_* names
TRUTH_RECORD_NAMES = {"STRING": "UTF8", "STACK_FRAME": "FRAME", "STACK_TRACE": "TRACE"}


@pytest.mark.parametrize("name", ["leak-phase1", "leak-phase2", "leak-nocoops-phase1"])
def test_record_counts_and_bytes_equal_truth(name: str, index_dir: Path) -> None:
    import json

    dump_path = CORPUS_JVM / f"{name}.hprof"
    if not dump_path.exists():
        pytest.skip("corpus not present")
    info = json.loads((CORPUS_JVM / f"{name}.truth.json").read_text())["hprof"]
    with Dump.open(str(dump_path), index_dir=index_dir) as d:
        assert d.meta["hprof.version"] == info["header"]
        assert d.meta["hprof.id_size"] == info["identifier_size"]
        assert d.meta["hprof.timestamp_ms"] == info["timestamp_ms"]
        rename = lambda table: {TRUTH_RECORD_NAMES.get(k, k): v for k, v in table.items()}  # noqa: E731
        assert d.meta["hprof.records"] == rename(info["top_level_record_counts"])
        assert d.meta["hprof.record_body_bytes"] == rename(info["top_level_record_body_bytes"])
        subs = d.meta["hprof.subrecords"]
        objects = subs["INSTANCE_DUMP"] + subs["OBJ_ARRAY_DUMP"] + subs["PRIM_ARRAY_DUMP"]
        assert objects == d.meta["hprof.dumped_objects"]
        assert subs["CLASS_DUMP"] == d.meta["hprof.class_dumps"]
