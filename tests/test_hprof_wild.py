"""Heap dumps other JVMs and tools wrote (tests/data/heaps/wild, and ../shared/corpus/out/wild when there):
a JDK 8 dump whose classes HotSpot laid out before JDK 15's FieldLayoutBuilder (superclass fields end on a
reference, not on 8 bytes; @Contended groups padded), and a 32-bit dump of the old hprof agent whose ids are
serial numbers, not addresses — every instance size as the JVM had it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmdesk.model.dump import Dump
from tests.conftest import DATA

WILD = DATA / "heaps" / "wild"
SHARED_WILD = DATA.parents[2] / "shared" / "corpus" / "out" / "wild"


def histogram(d: Dump) -> dict[str, tuple[int, int]]:
    return {name: (count, size) for name, count, size in d.conn.execute(
        "SELECT name, count, shallow_bytes FROM heap_histogram")}


def test_a_jdk8_dump_is_laid_out_as_jdk8_did(tmp_path: Path) -> None:
    """The dump's own object addresses are the JVM's answer: with the pre-JDK-15 layout no class's computed
    size needs correcting from them (the JDK 15+ layout was 8 bytes short for java.lang.Class, Constructor
    and a SoftReference subclass, and java.lang.Thread's @Contended group was not padded)."""
    with Dump.open(WILD / "netbeans-jdk8.hprof.gz", index_dir=tmp_path) as d:
        assert d.meta["hprof.field_layout"] == "before JDK 15"
        evidence = d.meta["hprof.field_layout_evidence"]
        assert evidence["before JDK 15"][0] == 0 and evidence["before JDK 15"][1] > evidence["JDK 15+"][1]
        assert "hprof.size_from_addresses" not in {x.code for x in d.diagnostics()}
        sizes = {name: size for name, size in d.conn.execute("SELECT name, instance_bytes FROM hprof_class")}
        assert sizes["java.lang.Thread"] == 376 and sizes["java.lang.Class"] == 104
        assert sizes["java.lang.reflect.Constructor"] == 80
        assert sizes["sun.util.locale.LocaleObjectCache$CacheEntry"] == 48
        assert sizes["java.lang.String"] == 24 and sizes["java.util.HashMap$Node"] == 32


def test_a_32_bit_dump_whose_ids_are_serial_numbers(tmp_path: Path) -> None:
    """OpenJDK 8's jhat test dump (the old hprof agent, 32-bit): its ids are not addresses, so no size comes
    from their gaps (they made every String 1 byte); sizes are the 32-bit JVM's — each class's total equal
    to hprof-slurp's table of the same dump, instance counts equal to its record counts."""
    dump = SHARED_WILD / "jdk8u-jhat-32bit.hprof"
    if not dump.exists():
        pytest.skip("the jhat test dump is not in ../shared/corpus/out/wild")
    text = (SHARED_WILD / "jdk8u-jhat-32bit.hprof-slurp.txt").read_text()
    table = text[text.index("Top 20 raw shallow heap classes"):text.index("Top 20 largest instances")]
    units = {"bytes": 1, "KiB": 1024, "MiB": 1 << 20}
    want = {}
    for size, unit, count, name in re.findall(r"\|\s+([\d.]+)(bytes|KiB|MiB) \|\s+(\d+) \|[^|]*\| (\S+)", table):
        want[name.replace("[][]", "[]")] = (int(count), round(float(size) * units[unit]))
    with Dump.open(dump, index_dir=tmp_path) as d:
        assert d.meta["hprof.layout"].startswith("32-bit") and d.meta["hprof.field_layout"] == "before JDK 15"
        assert "hprof.size_from_addresses" not in {x.code for x in d.diagnostics()}
        got = histogram(d)
        for name, (count, size) in want.items():
            assert got[name][0] == count, name
            assert abs(got[name][1] - size) <= max(size // 200, 1), (name, got[name], size)  # its table rounds
        for record, label in (("INSTANCE_DUMP", "instance"), ("OBJ_ARRAY_DUMP", "object array"),
                              ("PRIM_ARRAY_DUMP", "primitive array"), ("CLASS_DUMP", "class")):
            assert d.meta["hprof.subrecords"][record] == int(re.search(rf"GC {label} dump: (\d+)", text)[1])
