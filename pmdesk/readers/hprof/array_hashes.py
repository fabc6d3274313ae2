"""Content hashes of many primitive arrays, read in one sequential pass (for grouping equal values,
e.g. duplicate strings). Each array's record is found at the offset the index stored."""

from __future__ import annotations

import numpy as np
from numba import njit

from pmdesk.base.progress import Progress
from pmdesk.readers.hprof.source import ChunkSource

_PRIM_ARRAY_DUMP = 0x23
_SIZES = np.zeros(256, np.int64)
for _t, _s in ((4, 1), (5, 2), (6, 4), (7, 8), (8, 1), (9, 2), (10, 4), (11, 8)):
    _SIZES[_t] = _s

_M = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def _hash_records(buf, n, base, isz, offsets, i, out_hash, out_bytes, ctr):
    """Hash arrays i, i+1, … (offsets ascending) while their records lie in buf. Returns (done, i)."""
    while i < offsets.shape[0]:
        p = np.int64(offsets[i]) - base
        hdr = 1 + isz + 4 + 4 + 1
        if p < 0 or p + hdr > n:
            ctr[0] = hdr
            return False, i
        if buf[p] != _PRIM_ARRAY_DUMP:
            out_hash[i] = 0
            out_bytes[i] = -1
            i += 1
            continue
        cnt = (np.int64(buf[p + 1 + isz + 4]) << 24) | (np.int64(buf[p + 1 + isz + 5]) << 16) | \
              (np.int64(buf[p + 1 + isz + 6]) << 8) | np.int64(buf[p + 1 + isz + 7])
        nb = cnt * _SIZES[buf[p + 1 + isz + 8]]
        if p + hdr + nb > n:
            ctr[0] = hdr + nb
            return False, i
        h = np.uint64(0xCBF29CE484222325) ^ np.uint64(nb)
        d = p + hdr
        for k in range(nb):
            h = (h ^ np.uint64(buf[d + k])) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
        h *= _M
        out_hash[i] = h
        out_bytes[i] = nb
        i += 1
    return True, i


def hash_arrays(path: str, id_size: int, offsets: np.ndarray, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """(hash, content bytes) of the primitive arrays whose records start at `offsets` (ascending).
    A record that is not a primitive array gets content bytes -1."""
    n = len(offsets)
    out_hash = np.zeros(n, np.uint64)
    out_bytes = np.full(n, -1, np.int64)
    ctr = np.zeros(1, np.int64)
    i = 0
    with ChunkSource(path, 8 << 20) as src:
        src.refill(0)
        while i < n:
            done, i = _hash_records(src.buf, src.n, src.base, id_size, offsets, i, out_hash, out_bytes, ctr)
            if done:
                break
            at = int(offsets[i])
            if src.base <= at <= src.base + src.n:
                if src.eof:
                    break
                src.refill(at - src.base)
            else:
                src.skip_to(at)
                if src.base != at:
                    break
            if int(ctr[0]) > len(src.buf):
                src.grow(int(ctr[0]) + (1 << 20))
                src.refill(0)
            progress.update(i / n, "reading string values")
    return out_hash, out_bytes
