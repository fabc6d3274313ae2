"""The object graph of a Java heap dump, as the heap-graph pass (index/derive/heap_graph.py) is given it.

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
`Reference.referent` edges are weak (stored as ~target): they do not dominate.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numba import njit

from pmdesk.base.progress import Progress
from pmdesk.index.derive.graph_build import HOLE, IdLookup, compact, find
from pmdesk.index.derive.heap_graph import GraphInput
from pmdesk.index.hprof.duplicate_strings import duplicate_string_groups, string_classes
from pmdesk.index.hprof.objects import load_heap_objects
from pmdesk.index.store import load_array, read_meta
from pmdesk.readers.hprof import records as R
from pmdesk.readers.hprof.refs import KIND_INSTANCE, KIND_OBJECT_ARRAY, KIND_PRIMITIVE_ARRAY, read_references

# Roots that belong to a thread's stack: attached to the thread object when it is known.
THREAD_LOCAL_ROOTS = (R.ROOT_JAVA_FRAME, R.ROOT_JNI_LOCAL, R.ROOT_NATIVE_STACK, R.ROOT_THREAD_BLOCK)
NOT_A_ROOT = (R.ROOT_UNREACHABLE,)


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
        t = find(x, sorted_ids, perm, starts, lo, shift)
        if t < 0:
            ctr[0] += 1
            if ctr[1] == 0:
                ctr[1] = np.int64(x)
            continue
        fwd[pos] = ~t if weak[k] else t


@dataclass
class _Placer:
    """Receives the reader's reference batches and writes them, resolved, into their edge slots."""

    slot0: np.ndarray  # first reference slot of each object
    fwd: np.ndarray
    lookup: IdLookup
    ctr: np.ndarray  # [dangling count, first dangling id]
    referent_is_weak: bool

    def __call__(self, src: np.ndarray, ids: np.ndarray, weak: np.ndarray) -> None:
        lk = self.lookup
        _place_refs(src, ids, weak & self.referent_is_weak, self.slot0, self.fwd, lk.sorted_ids, lk.perm, lk.starts,
                    lk.lo, lk.shift, self.ctr)


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


def graph_input(conn: sqlite3.Connection, dump_path: str, progress: Progress,
                model: GraphModel = MAT_MODEL) -> GraphInput:
    """The graph of the heap dump at `dump_path` indexed in `conn`: its references read from the dump
    (progress 0..1 of this phase), resolved to nodes, squeezed into CSR."""
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
    lookup = IdLookup.of(node_ids)
    problems: list[tuple[str, str, str]] = []

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
                                    place, progress)
    if problem:
        problems.append(("graph.references_incomplete", "warning",
                         f"references of {n_obj - read:,} objects were not read: {problem}"))
    if ctr[0]:
        problems.append(("graph.dangling", "info", f"{int(ctr[0]):,} references point to objects that are not in the "
                         f"dump (first: 0x{int(ctr[1]):x}); left out of the graph"))
    del place, objs
    progress.update(1.0, "building the object graph")
    fwd_start, e = compact(n, up_start, fwd)
    del up_start
    fwd = fwd[:e].copy()
    roots = lookup.resolve(np.array(root_ids, np.uint64))
    dangling_roots = int((roots < 0).sum())
    if dangling_roots:
        problems.append(("graph.dangling_roots", "info", f"{dangling_roots:,} GC roots name objects that are not in "
                         "the dump; ignored"))
    roots = np.unique(roots[roots >= 0]).astype(np.int32)
    string_idx, char_arrays = string_classes(conn)

    def strings(p: Progress) -> list[tuple[int, ...]]:  # on the second core, beside the dominator pass
        return duplicate_string_groups(dump_path, id_size, fwd_start, fwd, node_cls, shallow, offsets, string_idx,
                                       char_arrays, p)

    return GraphInput(n, n_obj, node_cls, n_cls_idx, shallow, fwd_start, fwd, roots, {"graph.class_nodes": n_cnode},
                      {"graph.class_node_idx": class_node_idx}, problems, strings)


def _uid(v: int | None) -> int:
    """A signed SQLite id back to the dump's unsigned id (0 for NULL)."""
    return 0 if v is None else v & 0xFFFFFFFFFFFFFFFF


