"""numba kernels over a profile's stack trie (node 0 the root; a parent always lower than its child)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def subtree_totals(parent: np.ndarray, self_w: np.ndarray) -> np.ndarray:
    """Each node's weight with everything called from it."""
    total = self_w.copy()
    for i in range(len(parent) - 1, 0, -1):
        total[parent[i]] += total[i]
    return total


@numba.njit(cache=True, nogil=True)
def path_flags(parent: np.ndarray, frame: np.ndarray, match: np.ndarray) -> np.ndarray:
    """Whether a node's path (root to it) holds a frame whose `match` is set."""
    out = np.zeros(len(parent), np.bool_)
    for i in range(1, len(parent)):
        out[i] = out[parent[i]] or match[frame[i]]
    return out


@numba.njit(cache=True, nogil=True)
def depths(parent: np.ndarray) -> np.ndarray:
    d = np.zeros(len(parent), np.int32)
    for i in range(1, len(parent)):
        d[i] = d[parent[i]] + 1
    return d


@numba.njit(cache=True, nogil=True)
def paths(parent: np.ndarray, frame: np.ndarray, depth: np.ndarray, nodes: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """The frames of each of `nodes`' paths, root first, as CSR (offsets, frames)."""
    off = np.zeros(len(nodes) + 1, np.int64)
    for k in range(len(nodes)):
        off[k + 1] = off[k] + depth[nodes[k]]
    out = np.empty(off[-1], np.int32)
    for k in range(len(nodes)):
        n = nodes[k]
        j = off[k + 1] - 1
        while n > 0:
            out[j] = frame[n]
            j -= 1
            n = parent[n]
    return off, out


@numba.njit(cache=True, nogil=True)
def function_sums(parent: np.ndarray, frame: np.ndarray, key: np.ndarray, self_w: np.ndarray, total_w: np.ndarray,
                  n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Each function's (`key` of a frame) self weight and total weight — a node's total counted only where no
    ancestor has its function, so a recursive function's total counts each sample once. Each node's path
    keeps a 64-bit filter of its functions (bit key % 64), so only a node whose function's bit is already on
    its parent's path walks up to look."""
    self_by = np.zeros(n_keys, np.float64)
    total_by = np.zeros(n_keys, np.float64)
    seen = np.zeros(len(parent), np.uint64)
    for i in range(1, len(parent)):
        k = key[frame[i]]
        self_by[k] += self_w[i]
        n = parent[i]
        bit = np.uint64(1) << np.uint64(k & 63)
        seen[i] = seen[n] | bit
        first = True
        if seen[n] & bit:
            while n > 0:
                if key[frame[n]] == k:
                    first = False
                    break
                n = parent[n]
        if first:
            total_by[k] += total_w[i]
    return self_by, total_by


@numba.njit(cache=True, nogil=True)
def children_csr(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each node's children as CSR (offsets by node, child ids in node order)."""
    n = len(parent)
    count = np.zeros(n + 1, np.int64)
    for i in range(1, n):
        count[parent[i] + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    fill = count[:-1].copy()
    out = np.empty(max(n - 1, 0), np.int32)
    for i in range(1, n):
        p = parent[i]
        out[fill[p]] = i
        fill[p] += 1
    return count, out
