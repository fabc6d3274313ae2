"""The per-object columns stored in the index rebuild every object's shallow size and the histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pmdesk.index.hprof.objects import load_heap_objects
from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from tests.conftest import NOCOOPS, SAMPLE


def test_objects_add_up_to_histogram(index_dir: Path) -> None:
    for path in (SAMPLE, NOCOOPS):
        with Dump.open(str(path), index_dir=index_dir) as d:
            objs = load_heap_objects(d.conn)
            assert len(objs) == d.meta["hprof.dumped_objects"]
            assert len(np.unique(objs.ids)) == len(objs)
            per_class = np.bincount(objs.class_idx, weights=objs.shallow_bytes)
            counts = np.bincount(objs.class_idx)
            for row in heap.histogram(d):
                if row.name == "java.lang.Class":
                    continue  # also counts class mirrors, which are CLASS_DUMP records, not objects
                assert counts[row.class_idx] == row.count
                assert per_class[row.class_idx] == row.shallow_bytes


def test_offsets_point_at_the_objects(index_dir: Path) -> None:
    with Dump.open(str(NOCOOPS), index_dir=index_dir) as d:
        objs = load_heap_objects(d.conn)
    data = NOCOOPS.read_bytes()
    for i in range(0, len(objs), max(len(objs) // 500, 1)):
        off = int(objs.offsets[i])
        assert data[off] in (0x21, 0x22, 0x23)
        assert int.from_bytes(data[off + 1:off + 9], "big") == int(objs.ids[i])
