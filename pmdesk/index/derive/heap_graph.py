"""Builds a heap's dominator tree and retained sizes into its index, whatever runtime the heap is from: the
format gives its object graph (`GraphInput`: nodes with a class and a shallow size, edges as CSR with weak
edges marked, GC roots) through the graph source its registry entry names; this pass computes dominators
(index/derive/dominators.py), retained sizes per object and per class, groups duplicate strings beside it on
the second core, and stores the arrays and figures the heap docks read.

Everything is written in one transaction, so an interrupted pass leaves the index as it was.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdesk.base.progress import Progress
from pmdesk.index.derive.dominators import REACH_NONE, REACH_WEAK, class_retained, dominator_tree, reverse_edges
from pmdesk.index.derive.graph_build import narrow
from pmdesk.index.store import IndexWriter

CHUNK = 1 << 20  # elements per stored array chunk: small enough that one write holds the GIL a few ms
GRAPH_VERSION = 1


@dataclass
class GraphInput:
    """A heap's object graph, as a format's graph source gives it."""

    n: int                    # nodes
    n_objects: int            # of them, the heap's objects (in dump order); the rest are synthetic (class mirrors)
    node_cls: np.ndarray      # int32 class index of each node (heap_histogram.class_idx)
    n_classes: int
    shallow: np.ndarray       # int64 shallow bytes of each node
    fwd_start: np.ndarray     # CSR: node v's edges are fwd[fwd_start[v]:fwd_start[v + 1]]
    fwd: np.ndarray           # int32 target nodes; ~t for a weak edge (followed, but it does not dominate)
    roots: np.ndarray         # int32 GC root nodes (the virtual root's successors)
    meta: dict[str, Any] = field(default_factory=dict)            # more graph.* facts of the format
    arrays: dict[str, np.ndarray] = field(default_factory=dict)   # more graph.* arrays the format's queries read
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (code, severity, message)
    strings: Callable[[Progress], list[tuple[int, ...]]] | None = None  # duplicate-string rows (any thread)


GraphSource = Callable[[sqlite3.Connection, str, Progress], GraphInput]


def heap_nodes(conn: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What every heap index holds per node (schema/heap.sql): id (u8), class index (i4), shallow bytes (i8)."""
    from pmdesk.index.store import load_array

    return (load_array(conn, "heap_node.id").astype(np.uint64, copy=False),
            load_array(conn, "heap_node.class_idx").astype(np.int32, copy=False),
            load_array(conn, "heap_node.shallow").astype(np.int64, copy=False))


def has_graph(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'graph.version'").fetchone()
    return row is not None and int(row[0]) == GRAPH_VERSION


def build_heap_graph(dump_path: str, index_path: str, progress: Progress, source: GraphSource) -> None:
    """Compute and store the graph, dominators and retained sizes of the dump indexed at `index_path`."""
    t0 = time.perf_counter()
    conn = sqlite3.connect(index_path, timeout=60, check_same_thread=False)
    # The rollback journal keeps the index whole if pmdesk dies mid-write; skipping fsync only risks the
    # cache on a power loss, after which the index fails its check and is rebuilt.
    conn.execute("PRAGMA synchronous=OFF")
    try:
        _build(conn, source(conn, dump_path, progress.part(0.0, 0.6)), progress, t0)
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _build(conn: sqlite3.Connection, g: GraphInput, progress: Progress, t0: float) -> None:
    diag = IndexWriter(conn)
    for code, severity, message in g.problems:
        diag.diagnostic(None, code, message, severity)
    strings_job = None
    if g.strings is not None:  # duplicate strings need only the references: the second core runs them
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmdesk-strings")
        strings_job = pool.submit(g.strings, Progress(None, progress.token, progress.path))
        pool.shutdown(wait=False)
    rev_start, rev = reverse_edges(g.n, g.fwd_start, g.fwd)  # needed by the dominator pass; not stored
    progress.update(0.7, "computing dominators")
    tree = dominator_tree(g.n, g.fwd_start, g.fwd, rev_start, rev, g.roots, g.shallow,
                          lambda f, what: progress.update(0.7 + 0.15 * f, what))
    del rev_start, rev
    progress.update(0.85, "computing retained sizes per class")
    per_class = class_retained(tree, g.node_cls, g.n_classes)
    progress.update(0.88, "grouping duplicate strings")
    dup_rows = strings_job.result() if strings_job is not None else []
    store_duplicate_strings(conn, dup_rows)
    progress.update(0.9, "writing the graph")
    weakly = int((tree.reach == REACH_WEAK).sum())
    unreachable = int((tree.reach == REACH_NONE).sum())

    conn.execute("DELETE FROM array_chunk WHERE name LIKE 'graph.%'")
    for name, arr in (("graph.fwd_start", narrow(g.fwd_start)), ("graph.fwd", g.fwd), ("graph.idom", tree.idom),
                      ("graph.retained", tree.retained), ("graph.reach", tree.reach),
                      ("graph.dom_start", narrow(tree.child_start)), ("graph.dom_kids", tree.kids),
                      ("graph.roots", g.roots), *g.arrays.items()):
        for a in range(0, max(len(arr), 1), CHUNK):
            diag.array_chunk(name, arr[a:a + CHUNK])
    conn.executemany("UPDATE heap_histogram SET retained_bytes = ? WHERE class_idx = ?",
                     [(int(per_class[c]), int(c)) for c in range(g.n_classes)])
    progress.update(0.99, "writing the graph")  # last cancellation point before the commit
    for k, v in {"graph.nodes": g.n, "graph.objects": g.n_objects, **g.meta, "graph.edges": len(g.fwd),
                 "graph.roots": len(g.roots), "graph.weakly_reachable": weakly, "graph.unreachable": unreachable,
                 "graph.total_bytes": tree.total_bytes, "graph.duplicate_string_groups": len(dup_rows),
                 "graph.strings_known": g.strings is not None,
                 "graph.seconds": round(time.perf_counter() - t0, 3),
                 "graph.version": GRAPH_VERSION}.items():
        diag.meta(k, v)
    if unreachable:
        diag.diagnostic(None, "graph.unreachable", f"{unreachable:,} objects are not reachable from any GC root; "
                        "they hang below the root of the dominator tree", "info")
    conn.commit()


def store_duplicate_strings(conn: sqlite3.Connection, rows: list[tuple[int, ...]]) -> None:
    """Rows (rank, count, arrays, value_bytes, wasted_bytes, string_node) into heap_duplicate_string."""
    conn.execute("DELETE FROM heap_duplicate_string")
    conn.executemany("INSERT INTO heap_duplicate_string (rank, count, arrays, value_bytes, wasted_bytes, string_node) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
