"""Edge cases no JVM here produces on demand, written with tests/hprof_writer.py: 4-byte identifiers,
Android (ART) heap records, HEAP_DUMP (not segmented), and the old top-level records."""

from __future__ import annotations

import struct
from pathlib import Path

from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from tests.hprof_writer import HprofWriter

OBJECT, BOOLEAN, BYTE, INT, LONG = 2, 4, 8, 10, 11


def android_like_dump(path: Path) -> None:
    w = HprofWriter(id_size=4, version="JAVA PROFILE 1.0.3")
    w.load_class(1, 0x1000, "java/lang/Object")
    w.load_class(2, 0x1100, "com/example/Node")
    w.load_class(3, 0x1200, "[Lcom/example/Node;")
    w.record(0x0A, struct.pack(">I", 1) + w.ident(0x9000) + struct.pack(">I", 0) + w.ident(w.string("main"))
             + w.ident(w.string("main")) + w.ident(w.string("system")))
    w.record(0x04, w.ident(0x77) + w.ident(w.string("run")) + w.ident(w.string("()V"))
             + w.ident(w.string("Node.java")) + struct.pack(">Ii", 2, 42))
    w.record(0x05, struct.pack(">III", 7, 1, 1) + w.ident(0x77))
    w.record(0x07, struct.pack(">IIQQ", 100, 3, 1000, 30))
    w.record(0x0E, struct.pack(">IH", 3, 16))
    w.record(0x06, struct.pack(">HfIIQQI", 0, 0.5, 10, 1, 20, 2, 1) + struct.pack(">BIIIIII", 0, 2, 7, 16, 1, 16, 1))
    w.record(0x0D, struct.pack(">II", 5, 1) + struct.pack(">II", 5, 7))
    w.record(0x03, struct.pack(">I", 9))
    w.heap_info(ord("A"), "app")
    w.class_dump(0x1000, 0, [])
    w.class_dump(0x1100, 0x1000, [("next", OBJECT), ("value", INT), ("flag", BOOLEAN)],
                 statics=[("COUNT", INT, struct.pack(">i", 3))])
    w.class_dump(0x1200, 0x1000, [])
    w.instance(0x2000, 0x1100, w.ident(0x2100) + struct.pack(">i", 1) + b"\x01")
    w.instance(0x2100, 0x1100, w.ident(0) + struct.pack(">i", 2) + b"\x00")
    w.obj_array(0x2200, 0x1200, [0x2000, 0x2100])
    w.prim_array(0x2300, BYTE, b"abcdef", 6)
    w.prim_array(0x2400, LONG, b"", 4, no_data=True)
    for tag in (0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x90, 0xFF, 0x05, 0x07):
        w.root(tag, 0x2000)
    w.root(0x8E, 0x2100, struct.pack(">II", 1, 0))
    w.root(0x01, 0x2200, w.ident(0x5555))
    w.root(0x08, 0x9000, struct.pack(">II", 1, 7))
    w.flush_heap(0x0C)
    w.record(0x0B, struct.pack(">I", 1))
    path.write_bytes(w.bytes())


def test_android_records_and_four_byte_ids(tmp_path: Path) -> None:
    f = tmp_path / "android.hprof"
    android_like_dump(f)
    with Dump.open(str(f), index_dir=tmp_path / "idx") as d:
        rows = {r.name: (r.count, r.shallow_bytes) for r in heap.histogram(d)}
        assert d.meta["hprof.id_size"] == 4
        assert d.meta["hprof.version"] == "JAVA PROFILE 1.0.3"
        # ART / 32-bit layout: 8-byte header, 4-byte references, 8-byte alignment
        assert rows["com.example.Node"] == (2, 2 * 24)  # 8 + int 4 + ref 4 + bool 1 -> 17 -> 24
        assert rows["com.example.Node[]"] == (1, 24)  # 12 + 2 * 4 = 20 -> 24
        assert rows["byte[]"] == (1, 24)  # 12 + 6 = 18 -> 24
        assert rows["long[]"] == (1, 48)  # base 16 + 4 * 8, contents absent (0xC3)
        kinds = dict(d.conn.execute("SELECT kind, COUNT(*) FROM hprof_root GROUP BY kind").fetchall())
        assert {0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x90, 0xFF, 0x05, 0x07, 0x01, 0x08} <= set(kinds)
        assert d.conn.execute("SELECT COUNT(*) FROM hprof_thread").fetchone()[0] == 1
        assert d.conn.execute("SELECT line FROM hprof_frame").fetchone()[0] == 42
        assert d.conn.execute("SELECT COUNT(*) FROM hprof_trace_frame").fetchone()[0] == 1
        assert d.conn.execute("SELECT COUNT(*) FROM hprof_alloc_site").fetchone()[0] == 1
        assert d.conn.execute("SELECT count FROM hprof_cpu_sample").fetchone()[0] == 5
        assert d.meta["hprof.control_settings"] == {"flags": 3, "stack_depth": 16}
        assert d.meta["hprof.heap_summary"]["live_bytes"] == 100
        statics = d.conn.execute("SELECT name, value FROM hprof_field WHERE is_static = 1").fetchall()
        assert ("COUNT", 3) in statics


def test_version_1_0_1_with_eight_byte_ids(tmp_path: Path) -> None:
    w = HprofWriter(id_size=8, version="JAVA PROFILE 1.0.1")
    w.load_class(1, 0x7F0000001000, "java/lang/Object")
    w.class_dump(0x7F0000001000, 0, [])
    w.instance(0x7F0000002000, 0x7F0000001000, b"")
    w.flush_heap(0x0C)
    w.record(0x2C, b"")
    f = tmp_path / "old.hprof"
    f.write_bytes(w.bytes())
    with Dump.open(str(f), index_dir=tmp_path / "idx") as d:
        rows = {r.name: r.count for r in heap.histogram(d)}
    assert rows["java.lang.Object"] == 1
