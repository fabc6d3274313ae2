"""Building a graph's edge array (CSR) from the ids its references name: a sorted-id lookup with an
address-bucket table (no hash map: ids are addresses, dense enough to bucket), and squeezing out the slots
of null and dangling references. Shared by every heap format's graph input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

HOLE = np.int32(-(1 << 31))  # an edge slot with nothing in it (null or dangling reference)


@njit(cache=True, nogil=True)
def _bucket_starts(sorted_ids, lo, shift, nb):
    """starts[b] = first position whose id falls in bucket b or later (ids ascending)."""
    starts = np.empty(nb + 1, np.int64)
    n = sorted_ids.shape[0]
    b = 0
    for j in range(n):
        bj = np.int64((sorted_ids[j] - lo) >> shift)
        while b <= bj and b <= nb:
            starts[b] = j
            b += 1
    while b <= nb:
        starts[b] = n
        b += 1
    return starts


@njit(cache=True, inline="always")
def find(x, sorted_ids, perm, starts, lo, shift):
    if x < lo:
        return -1
    b = np.int64((x - lo) >> shift)
    if b >= starts.shape[0] - 1:
        return -1
    a = starts[b]
    e = starts[b + 1]
    while a < e:
        m = (a + e) >> 1
        if sorted_ids[m] < x:
            a = m + 1
        else:
            e = m
    if a < starts[b + 1] and sorted_ids[a] == x:
        return perm[a]
    return -1


@njit(cache=True, nogil=True)
def _resolve_all(ids, sorted_ids, perm, starts, lo, shift):
    out = np.empty(ids.shape[0], np.int32)
    for k in range(ids.shape[0]):
        out[k] = find(ids[k], sorted_ids, perm, starts, lo, shift) if ids[k] != 0 else -1
    return out


@njit(cache=True, nogil=True)
def compact(n, up_start, fwd):
    """Squeeze out HOLE slots in place; returns the final start array and edge count."""
    start = np.empty(n + 1, np.int64)
    w = 0
    for v in range(n):
        start[v] = w
        for e in range(up_start[v], up_start[v + 1]):
            t = fwd[e]
            if t != HOLE:
                fwd[w] = t
                w += 1
    start[n] = w
    return start, w


@dataclass
class IdLookup:
    sorted_ids: np.ndarray
    perm: np.ndarray
    starts: np.ndarray
    lo: np.uint64
    shift: np.uint64

    @classmethod
    def of(cls, ids: np.ndarray) -> IdLookup:
        perm = np.argsort(ids, kind="stable").astype(np.int32)
        sorted_ids = ids[perm]
        lo = sorted_ids[0] if len(ids) else np.uint64(0)
        span = int(sorted_ids[-1] - lo) if len(ids) else 0
        shift = 0
        while (span >> shift) > max(len(ids), 1):
            shift += 1
        starts = _bucket_starts(sorted_ids, lo, np.uint64(shift), (span >> shift) + 1)
        return cls(sorted_ids, perm, starts, lo, np.uint64(shift))

    def resolve(self, ids: np.ndarray) -> np.ndarray:
        return _resolve_all(ids.astype(np.uint64), self.sorted_ids, self.perm, self.starts, self.lo, self.shift)


def narrow(starts: np.ndarray) -> np.ndarray:
    """CSR start offsets as int32 when they fit (half the bytes to store and load)."""
    return starts.astype(np.int32) if len(starts) and starts[-1] < 2**31 else starts


