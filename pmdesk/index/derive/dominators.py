"""Dominator tree and retained sizes of any object graph held as CSR arrays (format-independent).

The graph: nodes 0..n-1, a virtual root n whose successors are the GC roots, and forward edges
`fwd[fwd_start[v]:fwd_start[v+1]]`. A target stored as ~t (negative) is a *weak* edge (for Java:
`Reference.referent`): it does not keep its target alive, so dominators ignore it.

Nodes that no strong path reaches are still part of the heap and are given the virtual root as their
dominator, as Eclipse MAT does: first those reachable through weak edges, then the unreachable rest.
`reach` says which is which (REACH_STRONG, REACH_WEAK, REACH_NONE).

Algorithm: iterative DFS, then Semi-NCA (Lengauer–Tarjan semidominators by path-compressed eval,
immediate dominators by nearest-common-ancestor climbing; Georgiadis, Tarjan & Werneck 2006) —
O(E log N) with a handful of int32 arrays per node, everything in numba.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

REACH_STRONG = 0
REACH_WEAK = 1
REACH_NONE = 2


@njit(cache=True, nogil=True)
def reverse_edges(n, fwd_start, fwd):
    """The predecessor CSR of the forward CSR (weak edges stay marked: ~source)."""
    cnt = np.zeros(n + 1, np.int64)
    for e in range(fwd.shape[0]):
        t = fwd[e]
        if t < 0:
            t = ~t
        cnt[t + 1] += 1
    for v in range(n):
        cnt[v + 1] += cnt[v]
    rev = np.empty(fwd.shape[0], np.int32)
    pos = cnt[:-1].copy()
    for v in range(n):
        for e in range(fwd_start[v], fwd_start[v + 1]):
            t = fwd[e]
            if t < 0:
                rev[pos[~t]] = ~v
                pos[~t] += 1
            else:
                rev[pos[t]] = v
                pos[t] += 1
    return cnt, rev


@njit(cache=True, nogil=True)
def _dfs(s, fwd_start, fwd, dfnum, vertex, parent, is_rc, stack, cursor, cnt):
    """Strong-edge DFS from `s` as a child of the virtual root (preorder number 0). Returns the new count."""
    cnt += 1
    dfnum[s] = cnt
    vertex[cnt] = s
    parent[cnt] = 0
    is_rc[cnt] = 1
    top = 0
    stack[0] = s
    cursor[0] = fwd_start[s]
    while top >= 0:
        v = stack[top]
        e = cursor[top]
        if e < fwd_start[v + 1]:
            cursor[top] = e + 1
            t = fwd[e]
            if t >= 0 and dfnum[t] < 0:
                cnt += 1
                dfnum[t] = cnt
                vertex[cnt] = t
                parent[cnt] = dfnum[v]
                top += 1
                stack[top] = t
                cursor[top] = fwd_start[t]
        else:
            top -= 1
    return cnt


@njit(cache=True, nogil=True)
def _preorder(n, fwd_start, fwd, roots, dfnum, vertex, parent, is_rc, reach):
    stack = np.empty(n + 1, np.int32)
    cursor = np.empty(n + 1, np.int64)
    cnt = 0
    for r in roots:
        if dfnum[r] < 0:
            cnt = _dfs(r, fwd_start, fwd, dfnum, vertex, parent, is_rc, stack, cursor, cnt)
    for r in roots:  # a root reached first through another root is still the virtual root's child
        is_rc[dfnum[r]] = 1
    strong = cnt
    # weakly reachable: scan everything found so far for edges into unvisited nodes
    scan = 1
    while scan <= cnt:
        v = vertex[scan]
        for e in range(fwd_start[v], fwd_start[v + 1]):
            t = fwd[e]
            if t < 0:
                t = ~t
            if dfnum[t] < 0:
                cnt = _dfs(t, fwd_start, fwd, dfnum, vertex, parent, is_rc, stack, cursor, cnt)
        scan += 1
    weak = cnt
    for v in range(n):
        if dfnum[v] < 0:
            cnt = _dfs(v, fwd_start, fwd, dfnum, vertex, parent, is_rc, stack, cursor, cnt)
    for i in range(1, cnt + 1):
        reach[vertex[i]] = REACH_STRONG if i <= strong else (REACH_WEAK if i <= weak else REACH_NONE)
    return cnt


@njit(cache=True, nogil=True)
def _semi_nca(cnt, rev_start, rev, dfnum, vertex, parent, is_rc):
    """Immediate dominators in preorder numbering (idom[0] = 0 is the virtual root)."""
    semi = np.arange(cnt + 1).astype(np.int32)
    label = semi.copy()
    ancestor = np.full(cnt + 1, -1, np.int32)
    path = np.empty(cnt + 1, np.int32)
    for i in range(cnt, 0, -1):
        w = vertex[i]
        s = semi[i]
        if is_rc[i]:
            s = 0
        else:
            for e in range(rev_start[w], rev_start[w + 1]):
                u = rev[e]
                if u < 0:
                    continue  # weak edges do not dominate
                v = dfnum[u]
                # eval(v): the label with the least semidominator on v's compressed forest path
                if ancestor[v] >= 0:
                    top = 0
                    x = v
                    while ancestor[ancestor[x]] >= 0:
                        path[top] = x
                        top += 1
                        x = ancestor[x]
                    while top > 0:
                        top -= 1
                        y = path[top]
                        a = ancestor[y]
                        if semi[label[a]] < semi[label[y]]:
                            label[y] = label[a]
                        ancestor[y] = ancestor[a]
                    sv = semi[label[v]]
                else:
                    sv = v
                if sv < s:
                    s = sv
        semi[i] = s
        ancestor[i] = parent[i]  # link
    idom = label  # reuse: label is no longer needed
    idom[0] = 0
    for i in range(1, cnt + 1):
        j = parent[i]
        while j > semi[i]:
            j = idom[j]
        idom[i] = j
    return idom


@njit(cache=True, nogil=True)
def _retained(cnt, idom, vertex, shallow):
    ret = np.zeros(cnt + 1, np.int64)
    for i in range(1, cnt + 1):
        ret[i] = shallow[vertex[i]]
    for i in range(cnt, 0, -1):
        ret[idom[i]] += ret[i]
    return ret


@njit(cache=True, nogil=True)
def _children(n, idom_node, retained):
    """Dominator-tree children of every node (and of the virtual root n), largest retained first."""
    start = np.zeros(n + 2, np.int64)
    for v in range(n):
        start[idom_node[v] + 1] += 1
    for v in range(n + 1):
        start[v + 1] += start[v]
    kids = np.empty(n, np.int32)
    pos = start[:-1].copy()
    for v in range(n):
        p = idom_node[v]
        kids[pos[p]] = v
        pos[p] += 1
    for p in range(n + 1):
        a = start[p]
        b = start[p + 1]
        if b - a > 32:
            seg = kids[a:b].copy()
            kids[a:b] = seg[np.argsort(-retained[seg], kind="mergesort")]
        else:  # most nodes have a few children: insertion sort, stable, no allocation
            for i in range(a + 1, b):
                x = kids[i]
                rx = retained[x]
                j = i - 1
                while j >= a and retained[kids[j]] < rx:
                    kids[j + 1] = kids[j]
                    j -= 1
                kids[j + 1] = x
    return start, kids


@njit(cache=True, nogil=True)
def _class_retained(n, n_classes, start, kids, cls, retained):
    """Retained size of all instances of each class together: sum over instances with no same-class
    ancestor in the dominator tree (their retained sets contain all the others')."""
    out = np.zeros(n_classes, np.int64)
    on_path = np.zeros(n_classes, np.int32)
    stack = np.empty(n + 1, np.int32)
    cursor = np.empty(n + 1, np.int64)
    top = 0
    stack[0] = n
    cursor[0] = start[n]
    while top >= 0:
        v = stack[top]
        e = cursor[top]
        if e < start[v + 1]:
            cursor[top] = e + 1
            c = kids[e]
            k = cls[c]
            if on_path[k] == 0:
                out[k] += retained[c]
            on_path[k] += 1
            top += 1
            stack[top] = c
            cursor[top] = start[c]
        else:
            if v != n:
                on_path[cls[v]] -= 1
            top -= 1
    return out


@dataclass(frozen=True)
class DominatorTree:
    idom: np.ndarray          # int32 per node: immediate dominator, -1 = the virtual root
    retained: np.ndarray      # int64 per node
    reach: np.ndarray         # uint8 per node: REACH_STRONG / REACH_WEAK / REACH_NONE
    child_start: np.ndarray   # int64, n + 2: children of node v are kids[child_start[v]:child_start[v+1]]
    kids: np.ndarray          # int32; node n's slice is the virtual root's children
    total_bytes: int


def dominator_tree(n: int, fwd_start: np.ndarray, fwd: np.ndarray, rev_start: np.ndarray, rev: np.ndarray,
                   roots: np.ndarray, shallow: np.ndarray,
                   step: Callable[[float, str], None] | None = None) -> DominatorTree:
    """Exact dominators and retained sizes of all n nodes; `step(fraction, what)` is called between the
    kernels (progress, and a point where a cancel takes effect)."""
    step = step or (lambda _f, _what: None)
    dfnum = np.full(n, -1, np.int32)
    vertex = np.empty(n + 1, np.int32)
    parent = np.zeros(n + 1, np.int32)
    is_rc = np.zeros(n + 1, np.uint8)
    reach = np.zeros(n, np.uint8)
    step(0.0, "computing dominators: depth-first order")
    cnt = _preorder(n, fwd_start, fwd, roots.astype(np.int32), dfnum, vertex, parent, is_rc, reach)
    step(0.3, "computing dominators: semi-dominators")
    idom_pre = _semi_nca(cnt, rev_start, rev, dfnum, vertex, parent, is_rc)
    del parent, is_rc
    step(0.7, "computing retained sizes")
    ret_pre = _retained(cnt, idom_pre, vertex, shallow)
    idom, retained, parent_or_root = _to_nodes(n, dfnum, idom_pre, vertex, ret_pre)
    del idom_pre, vertex, dfnum
    step(0.85, "ordering the dominator tree")
    start, kids = _children(n, parent_or_root, retained)
    return DominatorTree(idom, retained, reach, start, kids, int(ret_pre[0]))


@njit(cache=True, nogil=True)
def _to_nodes(n, dfnum, idom_pre, vertex, ret_pre):
    """From depth-first numbers back to nodes: each node's immediate dominator (-1: the root), its retained
    bytes, and its parent in the tree (n for the root) — one pass without the GIL (numpy's gathers over tens
    of millions of nodes held it for a tenth of a second). An unreached node (dfnum -1) reads the last
    entries, as numpy's indexing did."""
    idom = np.empty(n, np.int32)
    parent = np.empty(n, np.int32)
    retained = np.empty(n, ret_pre.dtype)
    last_idom, last_ret = len(idom_pre) - 1, len(ret_pre) - 1
    for v in range(n):
        d = dfnum[v]
        p = idom_pre[d if d >= 0 else last_idom]
        idom[v] = -1 if p == 0 else vertex[p]
        parent[v] = n if p == 0 else vertex[p]
        retained[v] = ret_pre[d if d >= 0 else last_ret]
    return idom, retained, parent


def class_retained(tree: DominatorTree, cls: np.ndarray, n_classes: int) -> np.ndarray:
    """Retained bytes per class: the size of the retained set of all its instances together."""
    n = len(tree.idom)
    return _class_retained(n, n_classes, tree.child_start, tree.kids, cls, tree.retained)


@njit(cache=True, nogil=True)
def subtree_sizes(n, start, kids):
    """Number of nodes in each node's dominator subtree (itself included): its retained set's object count."""
    size = np.ones(n + 1, np.int64)
    order = np.empty(n + 1, np.int32)
    stack = np.empty(n + 1, np.int32)
    top = 0
    k = 0
    stack[0] = n
    while top >= 0:
        v = stack[top]
        top -= 1
        order[k] = v
        k += 1
        for e in range(start[v], start[v + 1]):
            top += 1
            stack[top] = kids[e]
    for i in range(k - 1, -1, -1):  # children come after their parent in `order`
        v = order[i]
        for e in range(start[v], start[v + 1]):
            size[v] += size[kids[e]]
    return size
