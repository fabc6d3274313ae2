"""The object graph of a Python heap snapshot, as the heap-graph pass (index/derive/heap_graph.py) is given it.

Nodes as the reader numbered them: the objects in file order, then one per thread. Edges: each object →
the objects `gc.get_referents` gave (references to objects the snapshot does not hold left out); a thread
→ each frame of its stack and a frame → its locals (a running frame's traversal visits neither its caller
nor its locals: the capture lists them). GC roots:
sys.modules, the threads, and every object nothing in the snapshot refers to — what only C code or the
interpreter itself holds (a module's import machinery, a C extension's state, the value stack). What is
left unreachable is cyclic garbage the collector has not freed yet.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from pmdesk.base.progress import Progress
from pmdesk.index.derive.heap_graph import GraphInput, heap_nodes
from pmdesk.index.store import load_array, read_meta
from pmdesk.readers.pyheap.reader import words


def graph_input(conn: sqlite3.Connection, dump_path: str, progress: Progress) -> GraphInput:
    """The graph of the Python heap snapshot at `dump_path`, indexed in `conn`."""
    meta = read_meta(conn)
    n = int(meta["pyheap.nodes"])
    n_obj = int(meta["summary.objects"])
    ids, node_cls, shallow = heap_nodes(conn)
    first = load_array(conn, "pyheap_object.refs_word").astype(np.int64)
    count = load_array(conn, "pyheap_object.refs").astype(np.int64)
    progress.update(0.1, "reading the references")
    with words(dump_path) as (_mm, w):
        starts = np.zeros(n_obj + 1, np.int64)
        np.cumsum(count, out=starts[1:])
        where = np.repeat(first - starts[:-1], count) + np.arange(int(starts[-1]), dtype=np.int64)
        refs = w[where].astype(np.uint64)
        del where
    progress.update(0.4, "finding the objects referred to")
    obj_ids = ids[:n_obj]
    order = np.argsort(obj_ids, kind="stable")
    srt = obj_ids[order]
    i = np.minimum(np.searchsorted(srt, refs), max(n_obj - 1, 0))
    found = srt[i] == refs if n_obj else np.zeros(len(refs), bool)
    target = np.where(found, order[i], -1).astype(np.int64)
    del refs, i
    src = np.repeat(np.arange(n_obj, dtype=np.int64), count)
    keep = target >= 0
    dangling = int(np.count_nonzero(~keep))
    src, target = src[keep], target[keep]
    frames = conn.execute("SELECT thread, node FROM pyheap_frame WHERE node IS NOT NULL").fetchall()
    locals_ = conn.execute("SELECT DISTINCT frame, target FROM pyheap_local "
                           "WHERE frame IS NOT NULL AND target IS NOT NULL").fetchall()
    extra = np.array(frames + locals_, np.int64).reshape(-1, 2)
    src = np.concatenate([src, extra[:, 0]])
    target = np.concatenate([target, extra[:, 1]])
    if len(locals_):  # a frame's locals are edges of a node met earlier: back into node order
        by_src = np.argsort(src, kind="stable")
        src, target = src[by_src], target[by_src]
    fwd_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=fwd_start[1:])
    fwd = target.astype(np.int32)
    progress.update(0.8, "finding the roots")
    indegree = np.bincount(fwd, minlength=n)
    named = [v for (v,) in conn.execute("SELECT node FROM pyheap_root")]
    roots = np.unique(np.concatenate([np.nonzero(indegree[:n_obj] == 0)[0], np.array(named, np.int64),
                                      np.arange(n_obj, n, dtype=np.int64)])).astype(np.int32)
    problems = []
    if dangling:
        problems.append(("graph.dangling", "info", f"{dangling:,} references point to objects the snapshot does not "
                         "hold (the capture's own, or freed while it ran); left out of the graph"))
    n_classes = int(conn.execute("SELECT COUNT(*) FROM heap_class").fetchone()[0])
    index_path = conn.execute("PRAGMA database_list").fetchone()[2]
    return GraphInput(n, n_obj, node_cls, n_classes, shallow, fwd_start, fwd, roots,
                      {"graph.held_outside": int(np.count_nonzero(indegree[:n_obj] == 0))}, {}, problems,
                      lambda _p: duplicate_strings(index_path, node_cls, shallow))


def duplicate_strings(index_path: str, node_cls: np.ndarray, shallow: np.ndarray) -> list[tuple[int, ...]]:
    """Rows of heap_duplicate_string: str objects with equal values (same hash and length), most wasted first
    — each str keeps its own characters, so every copy after the first is waste."""
    conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)  # this runs on the second core
    try:
        (str_cls,) = conn.execute("SELECT class_idx FROM heap_class WHERE name = 'str' AND kind = 'object'"
                                  ).fetchone() or (-1,)
        node = load_array(conn, "pyheap_value.node").astype(np.int64)
        h = load_array(conn, "pyheap_value.hash").astype(np.int64)
        length = load_array(conn, "pyheap_value.length").astype(np.int64)
    finally:
        conn.close()
    is_str = node_cls[node] == str_cls if len(node) else np.zeros(0, bool)
    node, h, length = node[is_str], h[is_str], length[is_str]
    if not len(node):
        return []
    order = np.lexsort((node, length, h))
    node, h, length = node[order], h[order], length[order]
    new = np.ones(len(node), bool)
    new[1:] = (h[1:] != h[:-1]) | (length[1:] != length[:-1])
    group = np.cumsum(new) - 1
    sizes = np.bincount(group)
    firsts = np.nonzero(new)[0]
    dup = np.nonzero(sizes >= 2)[0]
    each = shallow[node[firsts[dup]]]
    wasted = (sizes[dup] - 1) * each
    rank = np.lexsort((firsts[dup], -wasted))
    return [(r, int(sizes[dup[k]]), int(sizes[dup[k]]), int(each[k]), int(wasted[k]), int(node[firsts[dup[k]]]))
            for r, k in enumerate(rank.tolist())]
