"""Per-object columns of an indexed heap dump as numpy arrays, with each object's real shallow size.

The shallow size is derived from what the reader stored — the class table's instance sizes, each
array's length and the object layout it inferred (meta `hprof.*`) — so later passes (dominators,
retained sizes) reuse the reader's layout decisions instead of re-deciding them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
from numba import njit

from pmdesk.index.store import load_array, read_meta

_ELEMENT_BYTES = {4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}  # hprof basic type -> bytes


@njit(cache=True, nogil=True)
def _shallow(cls, length, inst, elem, len_end, relaxed):
    out = np.empty(cls.shape[0], np.int64)
    for i in range(cls.shape[0]):
        c = cls[i]
        if length[i] < 0:
            out[i] = inst[c]
            continue
        es = elem[c]
        align = min(max(es, 1), 8) if relaxed else 8
        base = (len_end + align - 1) // align * align
        out[i] = (base + np.int64(length[i]) * es + 7) // 8 * 8
    return out


@dataclass(frozen=True)
class HeapObjects:
    ids: np.ndarray  # uint64 object ids (addresses), in dump order
    offsets: np.ndarray  # uint64 byte offset of each object's sub-record in the (decompressed) dump
    class_idx: np.ndarray  # int32 -> hprof_class.class_idx
    array_length: np.ndarray  # int32, -1 for instances
    shallow_bytes: np.ndarray  # int64 real size in the JVM

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class SizeModel:
    """What an object's real size follows from: per class, instance bytes and array element bytes,
    and where an array's elements start."""

    instance_bytes: np.ndarray  # int64 per class_idx
    element_bytes: np.ndarray  # int64 per class_idx (0 for instance classes)
    length_end: int
    relaxed_array_base: bool

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> SizeModel:
        meta = read_meta(conn)
        n_cls = conn.execute("SELECT COALESCE(MAX(class_idx), -1) + 1 FROM hprof_class").fetchone()[0]
        inst = np.zeros(max(n_cls, 1), np.int64)
        elem = np.zeros(max(n_cls, 1), np.int64)
        for idx, size, kind, et in conn.execute("SELECT class_idx, instance_bytes, kind, element_type "
                                                "FROM hprof_class"):
            inst[idx] = size
            if kind == "object_array":
                elem[idx] = meta["hprof.reference_bytes"]
            elif kind == "primitive_array":
                elem[idx] = _ELEMENT_BYTES.get(et or 0, 0)
        return cls(inst, elem, int(meta["hprof.array_length_end"]), bool(meta["hprof.relaxed_array_base"]))

    def shallow_bytes(self, cls: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Real shallow size of objects of class `cls` with array length `length` (-1 for instances)."""
        return _shallow(cls.astype(np.int32, copy=False), length.astype(np.int32, copy=False), self.instance_bytes,
                        self.element_bytes, self.length_end, self.relaxed_array_base)


def load_heap_objects(conn: sqlite3.Connection) -> HeapObjects:
    ids = load_array(conn, "hprof_object.id").astype(np.uint64, copy=False)
    offsets = load_array(conn, "hprof_object.offset").astype(np.uint64, copy=False)
    cls = load_array(conn, "hprof_object.class_idx").astype(np.int32, copy=False)
    length = load_array(conn, "hprof_object.array_length").astype(np.int32, copy=False)
    return HeapObjects(ids, offsets, cls, length, SizeModel.of(conn).shallow_bytes(cls, length))
