"""The object graph of a Go heap dump, as the heap-graph pass (index/derive/heap_graph.py) is given it.

Nodes as the reader numbered them (schema/goheap.sql): the objects in dump order, then the data and bss
segments, the goroutines, their stack frames, a finalizers node, a finalizer-queue node, other roots. Edges:
  object, segment, frame → the object each of its pointer fields points into (interior pointers too, as the
  collector marks them); goroutine → its frames (so a goroutine retains what only its stack holds, as a
  thread does in MAT), its closure context, its defer records and functions, its panics' values;
  finalizers → each registered finalizer's function and what the finalized object points to (the collector
  keeps those, not the object); finalizer queue → each queued object and its function; other roots → theirs.
GC roots: what the collector scans — the objects the segments' pointers (the globals) point into, the
goroutines, and the root nodes (a segment is a root too, but dominates nothing: its objects are roots).
"""

from __future__ import annotations

import mmap
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from pmdesk.base.progress import Progress
from pmdesk.index.derive.graph_build import compact
from pmdesk.index.derive.heap_graph import GraphInput, heap_nodes
from pmdesk.index.store import load_array, read_meta
from pmdesk.readers.goheap import kernels as K
from pmdesk.readers.goheap import records as R
from pmdesk.readers.goheap.reader import Sorted, by_steps, mapped


def _u(v: int | None) -> int:
    return 0 if v is None else v & 0xFFFFFFFFFFFFFFFF


def graph_input(conn: sqlite3.Connection, dump_path: str, progress: Progress) -> GraphInput:
    """The graph of the Go heap dump at `dump_path`, indexed in `conn`."""
    meta = read_meta(conn)
    n = int(meta["goheap.nodes"])
    n_obj = int(meta["summary.objects"])
    node_id, node_cls, shallow = heap_nodes(conn)
    content = load_array(conn, "goheap_object.content").astype(np.int64)
    fields = load_array(conn, "goheap_object.fields").astype(np.int64)
    obj_addr = node_id[:n_obj]
    srt = Sorted.of(obj_addr, shallow[:n_obj])
    segments = conn.execute("SELECT node, record FROM goheap_root_node WHERE record IS NOT NULL "
                            "ORDER BY node").fetchall()
    frames = conn.execute("SELECT node, goroutine, record FROM goheap_frame ORDER BY node").fetchall()
    progress.update(0.1, "reading the pointers")
    with mapped(dump_path) as mm:
        extra = []
        for _node, record in segments:
            c = R.Cursor(mm, record)
            c.uint(), c.uint()
            start, size = c.skip_range()
            extra.append((start, size, c.pos))
        for _node, _g, record in frames:
            c = R.Cursor(mm, record)
            c.uint()
            fr = R.frame(c, record)
            extra.append((fr.content, fr.size, c.pos))
        more = np.array(extra, np.int64).reshape(-1, 3)
        out_start, out, counts = pointers(mm, np.concatenate([content, more[:, 0]]),
                                          np.concatenate([shallow[:n_obj], more[:, 1]]),
                                          np.concatenate([fields, more[:, 2]]), n_obj, srt, progress.part(0.1, 0.7))
    progress.update(0.7, "building the object graph")
    n_seg = len(segments)
    first_goroutine = n_obj + n_seg
    goroutines = conn.execute("SELECT node, ctxt, addr FROM goheap_goroutine ORDER BY node").fetchall()
    per_goroutine: dict[int, list[int]] = {g: [] for g, _c, _a in goroutines}
    for node, g, _rec in frames:
        if g is not None:
            per_goroutine[g].append(node)
    by_g_addr = {_u(a): g for g, _c, a in goroutines}
    held: dict[int, list[int]] = {g: [] for g, _c, _a in goroutines}  # pointers a goroutine holds besides frames
    for g, ctxt, _a in goroutines:
        held[g].append(_u(ctxt))
    for d_addr, gp, fn in conn.execute("SELECT addr, goroutine, fn FROM goheap_defer"):
        if _u(gp) in by_g_addr:
            held[by_g_addr[_u(gp)]] += [_u(d_addr), _u(fn)]
    for gp, data in conn.execute("SELECT goroutine, arg_data FROM goheap_panic"):
        if _u(gp) in by_g_addr:
            held[by_g_addr[_u(gp)]].append(_u(data))
    root_nodes = dict(conn.execute("SELECT kind, node FROM goheap_root_node WHERE record IS NULL AND kind != 'other'"))
    fin_targets: list[int] = []
    queue_targets: list[int] = []
    for queued, obj, fn in conn.execute("SELECT queued, object, fn FROM goheap_finalizer"):
        if queued:
            queue_targets += _resolve(srt, [_u(obj), _u(fn)])
            continue
        fin_targets += _resolve(srt, [_u(fn)])
        o = _resolve(srt, [_u(obj)])
        if o:  # what the finalized object points to is kept for the finalizer; the object itself is not
            fin_targets += out[out_start[o[0]]:out_start[o[0] + 1]].tolist()
    others: dict[int, list[int]] = {}
    for node, ptr in conn.execute("SELECT node, pointer FROM goheap_other_root"):
        others.setdefault(node, []).extend(_resolve(srt, [_u(ptr)]))
    # Edges in node order: objects and segments (the kernel's first owners), goroutines, frames, root nodes.
    lists: list[np.ndarray] = [out[:out_start[n_obj + n_seg]]]
    counts_per_node = [np.diff(out_start[:n_obj + n_seg + 1])]
    g_lists = []
    for g, _c, _a in goroutines:
        g_lists.append(np.array(per_goroutine[g] + _resolve(srt, held[g]), np.int32))
    lists += g_lists
    counts_per_node.append(np.array([len(x) for x in g_lists], np.int64))
    lists.append(out[out_start[n_obj + n_seg]:])
    counts_per_node.append(np.diff(out_start[n_obj + n_seg:]))
    tail = {root_nodes.get("finalizers"): fin_targets, root_nodes.get("finalizer queue"): queue_targets, **others}
    first_tail = first_goroutine + len(goroutines) + len(frames)
    tail_counts = np.zeros(n - first_tail, np.int64)
    for node, targets in sorted((k, v) for k, v in tail.items() if k is not None):
        lists.append(np.array(targets, np.int32))
        tail_counts[node - first_tail] = len(targets)
    counts_per_node.append(tail_counts)
    fwd = np.concatenate(lists).astype(np.int32, copy=False)
    fwd_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.concatenate(counts_per_node), out=fwd_start[1:])
    # a global's object is a root itself (not below its segment, which would then dominate every global)
    globals_ = out[out_start[n_obj]:out_start[n_obj + n_seg]]
    roots = np.unique(np.concatenate([np.array([s for s, _r in segments] + [g for g, _c, _a in goroutines] +
                                               [v for v in tail if v is not None], np.int32), globals_]))
    problems = []
    if counts[1]:
        problems.append(("graph.field_past_end", "warning", f"{int(counts[1]):,} pointer fields lie past the end of "
                         "their object or frame: ignored"))
    n_classes = int(conn.execute("SELECT COUNT(*) FROM heap_class").fetchone()[0])
    return GraphInput(n, n_obj, node_cls, n_classes, shallow, fwd_start, fwd, roots,
                      {"graph.pointers_outside_heap": int(counts[0])}, {}, problems)


def pointers(mm: mmap.mmap, content: np.ndarray, size: np.ndarray, fields: np.ndarray, n_obj: int,
             srt: Sorted, progress: Progress) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For owners with pointer fields (contents offset, size, field-list offset each; the n_obj objects first):
    (CSR starts, target objects) of their pointers, and (pointers to no object, fields past their owner).
    Each step's owners are split between two threads (the kernels release the GIL)."""
    b = np.frombuffer(mm, np.uint8)
    n = len(content)
    slot_start = np.zeros(n + 1, np.int64)
    per_owner = slot_start[1:]  # counted in place, then summed up in place
    by_steps(mm, content, n_obj, lambda k0, k1: K.field_counts(b, fields, k0, k1, per_owner), progress.part(0, 0.2),
             "counting the pointers")
    np.cumsum(per_owner, out=per_owner)
    out = np.empty(int(slot_start[-1]), np.int32)
    counts = np.zeros((2, 2), np.int64)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmdesk-pointers") as pool:
        def step(k0: int, k1: int) -> None:
            mid = (k0 + k1) // 2
            jobs = [pool.submit(K.pointer_fields, b, content, size, fields, lo, hi, *srt.kernel_args(), slot_start,
                                out, counts[i]) for i, (lo, hi) in enumerate(((k0, mid), (mid, k1)))]
            for j in jobs:
                j.result()

        by_steps(mm, content, n_obj, step, progress.part(0.2, 0.95), "reading the pointers")
    fwd_start, e = compact(n, slot_start, out)
    return fwd_start, out[:e], counts.sum(axis=0)


def _resolve(srt: Sorted, values: list[int]) -> list[int]:
    """The objects these pointers point into (those that point into none left out)."""
    if not values:
        return []
    t = srt.owners(np.array(values, np.uint64))
    return t[t >= 0].tolist()
