"""Groups a heap dump's java.lang.String objects by value (content hash of their value arrays) and
stores the groups that waste memory, most wasted bytes first."""

from __future__ import annotations

import sqlite3

import numpy as np
from numba import njit

from pmdesk.base.progress import Progress
from pmdesk.readers.hprof.array_hashes import hash_arrays

KEEP_GROUPS = 10_000


@njit(cache=True, nogil=True)
def _lexsort3(first, second, third):
    """np.lexsort((third, second, first)) without the GIL (numpy's holds it, stalling the window for the
    hundreds of ms a few million keys take): stable sorts from the last key to the first."""
    idx = np.argsort(third, kind="mergesort")
    idx = idx[np.argsort(second[idx], kind="mergesort")]
    return idx[np.argsort(first[idx], kind="mergesort")]


@njit(cache=True, nogil=True)
def _value_arrays(strings, fwd_start, fwd, node_cls, is_char_array):
    """For each String node, its first referent that is a byte[] or char[] (-1 if none)."""
    out = np.full(strings.shape[0], -1, np.int32)
    n = node_cls.shape[0]
    for k in range(strings.shape[0]):
        s = strings[k]
        for e in range(fwd_start[s], fwd_start[s + 1]):
            t = fwd[e]
            if 0 <= t < n and is_char_array[node_cls[t]]:
                out[k] = t
                break
    return out


def string_classes(conn: sqlite3.Connection) -> tuple[int | None, list[int]]:
    """(class_idx of java.lang.String, class_idx of byte[] and char[]) of an indexed dump."""
    row = conn.execute("SELECT class_idx FROM hprof_class WHERE name = 'java.lang.String'").fetchone()
    arrays = [idx for (idx,) in conn.execute("SELECT class_idx FROM hprof_class WHERE name IN ('byte[]', 'char[]')")]
    return (row[0] if row else None), arrays


def duplicate_string_groups(dump_path: str, id_size: int, fwd_start: np.ndarray, fwd: np.ndarray,
                            node_cls: np.ndarray, shallow: np.ndarray, offsets: np.ndarray, string_idx: int | None,
                            char_array_idx: list[int], progress: Progress) -> list[tuple[int, ...]]:
    """Rows of heap_duplicate_string (no database access: runs beside the dominator pass)."""
    if string_idx is None:
        return []
    n_obj = len(offsets)
    is_char_array = np.zeros(max(int(node_cls.max()) + 1 if len(node_cls) else 1, 1), np.bool_)
    is_char_array[[i for i in char_array_idx if i < len(is_char_array)]] = True
    strings = np.nonzero(node_cls[:n_obj] == string_idx)[0].astype(np.int32)
    arrays = _value_arrays(strings, fwd_start, fwd, node_cls[:n_obj], is_char_array)
    has = arrays >= 0
    strings, arrays = strings[has], arrays[has]
    if len(strings) < 2:
        return []
    order = np.argsort(offsets[arrays], kind="stable")
    h, nbytes = hash_arrays(dump_path, id_size, offsets[arrays][order], progress)
    hashes = np.empty_like(h)
    sizes = np.empty_like(nbytes)
    hashes[order] = h
    sizes[order] = nbytes
    by = _lexsort3(hashes, sizes, arrays)
    hs, ns = hashes[by], sizes[by]
    new = np.ones(len(by), np.bool_)
    new[1:] = (hs[1:] != hs[:-1]) | (ns[1:] != ns[:-1])
    group = np.cumsum(new) - 1
    count = np.bincount(group)
    arr_sorted = arrays[by]
    new_arr = new.copy()
    new_arr[1:] |= arr_sorted[1:] != arr_sorted[:-1]
    distinct = np.bincount(group, weights=new_arr).astype(np.int64)
    first = np.nonzero(new)[0]
    example = strings[by][first]
    s_bytes = shallow[example]
    a_bytes = shallow[arr_sorted[first]]
    wasted = (count - 1) * s_bytes + (distinct - 1) * a_bytes
    dup = np.nonzero((count > 1) & (ns[first] >= 0))[0]
    dup = dup[np.lexsort((dup, -wasted[dup]))][:KEEP_GROUPS]
    return [(r, int(count[g]), int(distinct[g]), int(ns[first[g]]), int(wasted[g]), int(example[g]))
            for r, g in enumerate(dup)]
