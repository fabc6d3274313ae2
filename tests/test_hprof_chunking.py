"""Chunk boundaries: the same real dumps read through tiny buffers give exactly the same index.

A 4 KiB window, 7-object batches and a 512-byte side buffer put records across every kind of boundary
(top-level records, class dumps, arrays skipped by seek, gzip members) and force buffer growth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pmdesk.base.progress import Progress
from pmdesk.index.hprof.objects import load_heap_objects
from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from pmdesk.readers import hprof
from pmdesk.readers.base import IndexSink
from pmdesk.readers.hprof.reader import HprofScan
from tests.conftest import NOCOOPS, SAMPLE


def tiny_read(path: str, sink: IndexSink, progress: Progress) -> None:
    HprofScan(path, sink, progress, buffer_bytes=4096, batch=7, side_bytes=512).run()


@pytest.mark.parametrize("dump_path", [NOCOOPS, SAMPLE], ids=lambda p: p.name)
def test_tiny_buffers_same_index(dump_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Dump.open(str(dump_path), index_dir=tmp_path / "normal") as d:
        want_hist = heap.histogram(d)
        want = load_heap_objects(d.conn)
        want_meta = {k: v for k, v in d.meta.items() if k.startswith("hprof.")}
        want_roots = d.conn.execute("SELECT * FROM hprof_root ORDER BY rowid").fetchall()
        want_strings = d.conn.execute("SELECT COUNT(*), SUM(LENGTH(text)) FROM hprof_string").fetchone()
    monkeypatch.setattr(hprof.HprofReader, "read", staticmethod(tiny_read))
    with Dump.open(str(dump_path), index_dir=tmp_path / "tiny") as d:
        assert heap.histogram(d) == want_hist
        got = load_heap_objects(d.conn)
        for col in ("ids", "offsets", "class_idx", "array_length", "shallow_bytes"):
            assert np.array_equal(getattr(got, col), getattr(want, col)), col
        assert {k: v for k, v in d.meta.items() if k.startswith("hprof.")} == want_meta
        assert d.conn.execute("SELECT * FROM hprof_root ORDER BY rowid").fetchall() == want_roots
        assert d.conn.execute("SELECT COUNT(*), SUM(LENGTH(text)) FROM hprof_string").fetchone() == want_strings
        assert d.diagnostics() == []
