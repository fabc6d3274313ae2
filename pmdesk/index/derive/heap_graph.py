"""Builds a Java heap dump's object graph (CSR), dominator tree and retained sizes into its index.

Nodes are the dumped objects in dump order (0..n_objects-1) followed by one node per dumped class
(its java.lang.Class mirror). Edges, in the order the object inspector lists them:
  object → its class; object → each reference field / array element (read by the hprof reader);
  class → superclass, class loader, signers, protection domain, static and constant-pool references;
  class loader → every class it defined; thread → the objects its stack frames and JNI locals hold.
GC roots are the virtual root's successors, except stack-frame roots whose thread is known, which hang
below their thread (Eclipse MAT's thread → local references; a thread then retains what only its stack
holds). Every class of the bootstrap loader is a root: that loader never unloads (HotSpot writes
STICKY_CLASS roots only for some of them — not for array classes — and MAT adds them all when a dump
has none). Other classes live as long as their loader, through the loader → class edges.

Everything is written in one transaction, so an interrupted pass leaves the index as it was.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from pmdesk.base.progress import Progress
from pmdesk.index.derive.dominators import REACH_NONE, REACH_WEAK, class_retained, dominator_tree, reverse_edges
from pmdesk.index.derive.duplicate_strings import duplicate_string_groups, store_duplicate_strings, string_classes
from pmdesk.index.hprof_objects import load_heap_objects
from pmdesk.index.store import IndexWriter, load_array, read_meta
from pmdesk.readers.hprof import records as R
from pmdesk.readers.hprof.refs import KIND_INSTANCE, KIND_OBJECT_ARRAY, KIND_PRIMITIVE_ARRAY, read_references

HOLE = np.int32(-(1 << 31))  # an edge slot with nothing in it (null or dangling reference)
CHUNK = 1 << 24  # elements per stored array chunk
GRAPH_VERSION = 1

# Roots that belong to a thread's stack: attached to the thread object when it is known.
THREAD_LOCAL_ROOTS = (R.ROOT_JAVA_FRAME, R.ROOT_JNI_LOCAL, R.ROOT_NATIVE_STACK, R.ROOT_THREAD_BLOCK)
NOT_A_ROOT = (R.ROOT_UNREACHABLE,)


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


@njit(cache=True, nogil=True)
def _edge_slots(n, cls, length, kind, ref_count, class_node, with_class, extra_nodes, extra_cnt):
    """Slot layout of every node's edges — [its class][reference fields or elements][synthetic] — as CSR
    starts, and the edge array with the class edges in place and every other slot a HOLE."""
    n_obj = cls.shape[0]
    up = np.empty(n + 1, np.int64)
    up[0] = 0
    ei = 0
    total = 0
    for v in range(n):
        c = 0
        if v < n_obj:
            k = kind[cls[v]]
            c = 1
            if k == KIND_OBJECT_ARRAY:
                c += max(length[v], 0)
            elif k == KIND_INSTANCE:
                c += ref_count[cls[v]]
        if ei < extra_nodes.shape[0] and extra_nodes[ei] == v:
            c += extra_cnt[ei]
            ei += 1
        total += c
        up[v + 1] = total
    fwd = np.full(total, HOLE, np.int32)
    if with_class:
        for v in range(n_obj):
            t = class_node[cls[v]]
            if t >= 0:
                fwd[up[v]] = t
    return up, fwd


@njit(cache=True, inline="always")
def _find(x, sorted_ids, perm, starts, lo, shift):
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
        out[k] = _find(ids[k], sorted_ids, perm, starts, lo, shift) if ids[k] != 0 else -1
    return out


@njit(cache=True, nogil=True)
def _place_refs(src, ids, weak, slot0, fwd, sorted_ids, perm, starts, lo, shift, ctr):
    prev = -1
    j = 0
    for k in range(src.shape[0]):
        v = src[k]
        if v != prev:
            prev = v
            j = 0
        pos = slot0[v] + j
        j += 1
        x = ids[k]
        if x == 0:
            continue
        t = _find(x, sorted_ids, perm, starts, lo, shift)
        if t < 0:
            ctr[0] += 1
            if ctr[1] == 0:
                ctr[1] = np.int64(x)
            continue
        fwd[pos] = ~t if weak[k] else t


@njit(cache=True, nogil=True)
def _compact(n, up_start, fwd):
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
class _Lookup:
    sorted_ids: np.ndarray
    perm: np.ndarray
    starts: np.ndarray
    lo: np.uint64
    shift: np.uint64

    @classmethod
    def of(cls, ids: np.ndarray) -> _Lookup:
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


@dataclass
class _Placer:
    """Receives the reader's reference batches and writes them, resolved, into their edge slots."""

    slot0: np.ndarray  # first reference slot of each object
    fwd: np.ndarray
    lookup: _Lookup
    ctr: np.ndarray  # [dangling count, first dangling id]
    referent_is_weak: bool

    def __call__(self, src: np.ndarray, ids: np.ndarray, weak: np.ndarray) -> None:
        lk = self.lookup
        _place_refs(src, ids, weak & self.referent_is_weak, self.slot0, self.fwd, lk.sorted_ids, lk.perm, lk.starts,
                    lk.lo, lk.shift, self.ctr)


def _narrow(starts: np.ndarray) -> np.ndarray:
    """CSR start offsets as int32 when they fit (half the bytes to store and load)."""
    return starts.astype(np.int32) if len(starts) and starts[-1] < 2**31 else starts


def _uid(v: int | None) -> int:
    """A signed SQLite id back to the dump's unsigned id (0 for NULL)."""
    return 0 if v is None else v & 0xFFFFFFFFFFFFFFFF


def has_graph(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'graph.version'").fetchone()
    return row is not None and int(row[0]) == GRAPH_VERSION


@dataclass(frozen=True)
class GraphModel:
    """Which synthetic edges the graph gets. The default is pmdesk's (and MAT's) reading of the JVM;
    VISUALVM_MODEL reproduces the VisualVM heap library's graph, for differential tests."""

    loader_defines_classes: bool = True   # class loader → each class it defined
    thread_holds_locals: bool = True      # thread → its stack's local roots (else they are plain roots)
    instance_to_class: bool = True        # every object → its class
    referent_is_weak: bool = True         # Reference.referent does not dominate (MAT); VisualVM follows it
    boot_classes_are_roots: bool = True   # every bootstrap class (else only those with STICKY_CLASS roots)


MAT_MODEL = GraphModel()
VISUALVM_MODEL = GraphModel(loader_defines_classes=False, thread_holds_locals=False, instance_to_class=False,
                            referent_is_weak=False)


def build_heap_graph(dump_path: str, index_path: str, progress: Progress, model: GraphModel = MAT_MODEL) -> None:
    """Compute and store the graph, dominators and retained sizes of the dump indexed at `index_path`."""
    t0 = time.perf_counter()
    conn = sqlite3.connect(index_path, timeout=60, check_same_thread=False)
    # The rollback journal keeps the index whole if pmdesk dies mid-write; skipping fsync only risks the
    # cache on a power loss, after which the index fails its check and is rebuilt.
    conn.execute("PRAGMA synchronous=OFF")
    try:
        _build(conn, dump_path, progress, t0, model)
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _build(conn: sqlite3.Connection, dump_path: str, progress: Progress, t0: float, model: GraphModel) -> None:
    meta = read_meta(conn)
    id_size = int(meta["hprof.id_size"])
    progress.update(0.0, "loading objects")
    objs = load_heap_objects(conn)
    n_obj = len(objs)
    classes = conn.execute("SELECT class_idx, class_id, kind, super_id, loader_id, signers_id, protection_domain_id, "
                           "mirror_bytes, instance_bytes, name FROM hprof_class ORDER BY class_idx").fetchall()
    n_cls_idx = max((r[0] for r in classes), default=-1) + 1
    n_cls_idx = max(n_cls_idx, int(objs.class_idx.max()) + 1 if n_obj else 0)
    kind = np.full(n_cls_idx, KIND_INSTANCE, np.uint8)
    for r in classes:
        kind[r[0]] = {"object_array": KIND_OBJECT_ARRAY, "primitive_array": KIND_PRIMITIVE_ARRAY}.get(r[2], 0)
    dumped = [r for r in classes if r[1] is not None]
    n_cnode = len(dumped)
    n = n_obj + n_cnode
    class_node_idx = np.array([r[0] for r in dumped], np.int32)  # class node k -> class_idx
    node_of_class_idx = np.full(n_cls_idx, -1, np.int32)
    node_of_class_idx[class_node_idx] = n_obj + np.arange(n_cnode, dtype=np.int32)
    jlc = next((r for r in classes if r[9] == "java.lang.Class"), None)
    jlc_idx = jlc[0] if jlc else 0
    mirror = np.array([r[7] if r[7] is not None else (jlc[8] if jlc else 0) for r in dumped], np.int64)

    node_ids = np.concatenate([objs.ids, np.array([_uid(r[1]) for r in dumped], np.uint64)])
    node_cls = np.concatenate([objs.class_idx, np.full(n_cnode, jlc_idx, np.int32)])
    shallow = np.concatenate([objs.shallow_bytes, mirror])
    offsets = objs.offsets
    lookup = _Lookup.of(node_ids)
    diag = IndexWriter(conn)

    # ---- synthetic edges (class structure, loaders, thread stacks), as (source node, target id)
    extra: dict[int, list[int]] = defaultdict(list)
    for k, r in enumerate(dumped):
        extra[n_obj + k].extend(_uid(x) for x in r[3:7])
    for cidx, value in conn.execute("SELECT class_idx, value FROM hprof_field WHERE is_static = 1 AND type = ? "
                                    "UNION ALL SELECT class_idx, value FROM hprof_constant WHERE type = ?",
                                    (R.T_OBJECT, R.T_OBJECT)):
        node = node_of_class_idx[cidx]
        if node >= 0:
            extra[int(node)].append(_uid(value))
    loader_ids = np.array([_uid(r[4]) for r in dumped], np.uint64)
    loader_nodes = lookup.resolve(loader_ids)
    for k, ln in enumerate(loader_nodes):
        if ln >= 0 and model.loader_defines_classes:
            extra[int(ln)].append(int(node_ids[n_obj + k]))
    roots_rows = conn.execute("SELECT kind, object_id, thread_serial FROM hprof_root").fetchall()
    thread_of_serial = {int(s): _uid(o) for s, o in conn.execute("SELECT serial, object_id FROM hprof_thread")}
    thread_of_serial.update({int(s): _uid(o) for k_, o, s in roots_rows if k_ == R.ROOT_THREAD_OBJECT})
    root_ids: list[int] = []
    for k_, o, s in roots_rows:
        if k_ in NOT_A_ROOT:
            continue
        local = k_ in THREAD_LOCAL_ROOTS and model.thread_holds_locals
        thread = thread_of_serial.get(int(s or 0)) if local else None
        if thread:
            tnode = lookup.resolve(np.array([thread], np.uint64))[0]
            if tnode >= 0:
                extra[int(tnode)].append(_uid(o))
                continue
        root_ids.append(_uid(o))
    if model.boot_classes_are_roots or not any(k_ == R.ROOT_STICKY_CLASS for k_, _, _ in roots_rows):
        root_ids.extend(_uid(r[1]) for r in dumped if not r[4])  # the boot loader never unloads its classes

    # ---- edge slots: [class][reference fields or elements][synthetic], nulls and dangling become holes
    ref_start = load_array(conn, "hprof_class.ref_start").astype(np.int64)
    ref_offset = load_array(conn, "hprof_class.ref_offset").astype(np.int32)
    if len(ref_start) < n_cls_idx + 1:
        ref_start = np.concatenate([ref_start, np.full(n_cls_idx + 1 - len(ref_start), ref_start[-1] if
                                                       len(ref_start) else 0, np.int64)])
    extra_nodes = np.array(sorted(extra), np.int64)
    extra_cnt = np.array([len(extra[v]) for v in extra_nodes], np.int64)
    up_start, fwd = _edge_slots(n, objs.class_idx, objs.array_length, kind, np.diff(ref_start), node_of_class_idx,
                                model.instance_to_class, extra_nodes, extra_cnt)
    for v, cnt in zip(extra_nodes, extra_cnt, strict=True):
        t = lookup.resolve(np.array(extra[int(v)], np.uint64))
        end = up_start[v + 1]
        fwd[end - cnt:end] = np.where(t >= 0, t, HOLE)
    ctr = np.zeros(2, np.int64)
    place = _Placer(up_start[:n_obj] + 1, fwd, lookup, ctr, model.referent_is_weak)
    read, problem = read_references(dump_path, id_size, offsets, objs.class_idx, kind, ref_start, ref_offset,
                                    place, progress.part(0.0, 0.6))
    if problem:
        diag.diagnostic(None, "graph.references_incomplete",
                        f"references of {n_obj - read:,} objects were not read: {problem}", "warning")
    if ctr[0]:
        diag.diagnostic(None, "graph.dangling",
                        f"{int(ctr[0]):,} references point to objects that are not in the dump "
                        f"(first: 0x{int(ctr[1]):x}); left out of the graph", "info")
    del place, objs
    progress.update(0.6, "building the object graph")
    fwd_start, e = _compact(n, up_start, fwd)
    del up_start
    fwd = fwd[:e].copy()
    # Duplicate strings need only the references: they run on the second core beside the dominator pass.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmdesk-strings")
    strings_job = pool.submit(duplicate_string_groups, dump_path, id_size, fwd_start, fwd, node_cls, shallow, offsets,
                              *string_classes(conn), Progress(None, progress.token, progress.path))
    pool.shutdown(wait=False)
    del offsets
    rev_start, rev = reverse_edges(n, fwd_start, fwd)  # needed by the dominator pass; not stored
    roots = lookup.resolve(np.array(root_ids, np.uint64))
    dangling_roots = int((roots < 0).sum())
    if dangling_roots:
        diag.diagnostic(None, "graph.dangling_roots", f"{dangling_roots:,} GC roots name objects that are not in "
                        "the dump; ignored", "info")
    roots = np.unique(roots[roots >= 0]).astype(np.int32)
    del lookup
    progress.update(0.7, "computing dominators")
    tree = dominator_tree(n, fwd_start, fwd, rev_start, rev, roots, shallow)
    progress.update(0.85, "computing retained sizes per class")
    per_class = class_retained(tree, node_cls, n_cls_idx)
    progress.update(0.88, "grouping duplicate strings")
    dup_rows = strings_job.result()
    store_duplicate_strings(conn, dup_rows)
    groups = len(dup_rows)
    progress.update(0.9, "writing the graph")
    weakly = int((tree.reach == REACH_WEAK).sum())
    unreachable = int((tree.reach == REACH_NONE).sum())

    conn.execute("DELETE FROM array_chunk WHERE name LIKE 'graph.%'")
    del rev_start, rev
    for name, arr in (("graph.fwd_start", _narrow(fwd_start)), ("graph.fwd", fwd), ("graph.idom", tree.idom),
                      ("graph.retained", tree.retained),
                      ("graph.reach", tree.reach), ("graph.dom_start", _narrow(tree.child_start)),
                      ("graph.dom_kids", tree.kids), ("graph.roots", roots),
                      ("graph.class_node_idx", class_node_idx)):
        for a in range(0, max(len(arr), 1), CHUNK):
            diag.array_chunk(name, arr[a:a + CHUNK])
    conn.executemany("UPDATE heap_histogram SET retained_bytes = ? WHERE class_idx = ?",
                     [(int(per_class[c]), int(c)) for c in range(n_cls_idx)])
    progress.update(0.99, "writing the graph")  # last cancellation point before the commit
    for k, v in {"graph.nodes": n, "graph.objects": n_obj, "graph.class_nodes": n_cnode, "graph.edges": int(e),
                 "graph.roots": len(roots), "graph.weakly_reachable": weakly, "graph.unreachable": unreachable,
                 "graph.total_bytes": tree.total_bytes, "graph.duplicate_string_groups": groups,
                 "graph.seconds": round(time.perf_counter() - t0, 3),
                 "graph.version": GRAPH_VERSION}.items():
        diag.meta(k, v)
    if unreachable:
        diag.diagnostic(None, "graph.unreachable", f"{unreachable:,} objects are not reachable from any GC root; "
                        "they hang below the root of the dominator tree", "info")
    conn.commit()

