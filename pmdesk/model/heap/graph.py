"""Queries over a heap dump's object graph and dominator tree: biggest objects, dominator children,
referents and referrers, shortest paths from GC roots — whatever the runtime.

A *node* is an index into the graph (the dumped objects in dump order, then the format's synthetic nodes:
HPROF's class mirrors, Go's goroutines and frames); an *id* is the object's address as the dump has it,
which is what users see (`0x7f3a…`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.index import store
from pmdesk.index.derive.dominators import REACH_NONE, REACH_STRONG, reverse_edges
from pmdesk.index.derive.heap_graph import GRAPH_VERSION, GraphSource, build_heap_graph, has_graph
from pmdesk.index.store import StoredArray, load_array
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.model.heap.objects import ObjectReader

ROOT = -1  # the virtual root of the dominator tree


def build_graph(dump: Dump, progress: Progress, index_path: str | None = None,
                source: GraphSource | None = None) -> None:
    """Compute the dump's object graph (from its format's graph source, or `source`), dominators and
    retained sizes into its index (or the copy at `index_path`) — holding the index's lock, so a second
    pmdesk waits and then finds the graph there; where the index cannot be written (a read-only folder), into
    a copy in the user's cache that the dump uses from then on."""
    target = Path(index_path) if index_path else dump.index_path
    with store.index_lock(target, progress):
        store.recover(target)
        if index_path is None and _has_graph_at(target):
            return  # another pmdesk computed it meanwhile
        if index_path is None and not store.writable(target):
            copy = store.default_index_dir() / "copies" / target.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, copy)
            dump.warnings_extra.append(f"{dump.path}: the index folder {target.parent} is read-only: the object graph "
                                       f"is kept in a copy of the index, {copy}")
            dump.move_index(copy)
            target = copy
        try:
            build_heap_graph(dump.path, str(target), progress, source or dump.spec.graph_source)
        except (OSError, sqlite3.OperationalError) as e:
            if store.no_space(e):
                raise PmdeskError(target.parent, "no space left to store the object graph of "
                                  f"{os.path.basename(dump.path)} in its index: free some, or give another folder "
                                  "with --index-dir") from None
            raise


def _has_graph_at(index: Path) -> bool:
    with contextlib.closing(store.connect_readonly(index)) as conn:
        return has_graph(conn)


def ensure_graph(dump: Dump, progress: Progress | None = None) -> None:
    """Compute the dump's object graph, dominators and retained sizes into its index if not there yet."""
    if not dump.has(Kind.HEAP_GRAPH) or has_graph(dump.conn):
        return
    build_graph(dump, progress or Progress(path=dump.path))
    dump.reload_meta()


def heap_graph(dump: Dump, conn: sqlite3.Connection | None = None) -> HeapGraph:
    """The dump's graph through its format's model (HPROF's, Go's, or the generic one); `conn`: a connection
    of the caller's own (a worker thread's)."""
    return dump.spec.graph_model(dump, conn)


def graph_of(dump: Dump | None) -> HeapGraph | None:
    """The dump's heap graph (loaded once per open dump), or None when it has none (yet)."""
    if dump is None or not dump.has(Kind.HEAP_GRAPH) or dump.meta.get("graph.version") != GRAPH_VERSION:
        return None
    g = dump.cache.get("heap_graph")
    if g is None:
        g = dump.cache["heap_graph"] = heap_graph(dump)
    return g


def preload_graph(dump: Dump, warm: Callable[[HeapGraph], None] | None = None) -> HeapGraph | None:
    """For a worker thread: load the dump's graph through a connection of its own (an SQLite connection
    must not be used by two threads at once) — and with `warm`, work out what the docks will ask of it —, then
    hand it to the dump for the GUI thread to use."""
    conn = store.connect_readonly(dump.index_path)
    try:
        meta = store.read_meta(conn)
        if not dump.has(Kind.HEAP_GRAPH) or meta.get("graph.version") != GRAPH_VERSION:
            return None
        g = heap_graph(dump, conn)
        g.meta = meta
        g.preload()
        if warm is not None:
            warm(g)
    finally:
        conn.close()
    g.conn = dump.conn
    g._stored.clear()
    dump.meta = meta
    dump.cache.clear()
    dump.cache["heap_graph"] = g
    return g


def format_id(obj_id: int) -> str:
    return f"0x{obj_id:x}"


def parse_id(text: str | int) -> int:
    """An object id typed as MAT shows it (0x…) or as a decimal number."""
    if isinstance(text, int):
        return text
    text = text.strip().lower()
    return int(text, 16) if text.startswith("0x") else int(text)


@dataclass(frozen=True)
class HeapObject:
    node: int
    id: int
    class_name: str
    shallow_bytes: int
    retained_bytes: int

    @property
    def label(self) -> str:
        return f"{self.class_name} @ {format_id(self.id)}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "class": self.class_name, "shallow_bytes": self.shallow_bytes,
                "retained_bytes": self.retained_bytes}


@njit(cache=True, nogil=True)
def _paths_back(target, rev_start, rev, is_root, max_paths, nxt):
    """Breadth-first from `target` against strong references; nxt[u] = the next node toward target.
    Returns the GC roots found, nearest first (at most max_paths)."""
    found = np.empty(max_paths, np.int32)
    k = 0
    queue = np.empty(nxt.shape[0], np.int32)
    head = 0
    tail = 1
    queue[0] = target
    nxt[target] = target
    while head < tail and k < max_paths:
        v = queue[head]
        head += 1
        if is_root[v]:
            found[k] = v
            k += 1
            continue
        for e in range(rev_start[v], rev_start[v + 1]):
            u = rev[e]
            if u < 0 or nxt[u] >= 0:
                continue
            nxt[u] = v
            queue[tail] = u
            tail += 1
    return found[:k]


class HeapGraph:
    """The object graph of one indexed heap dump; arrays load on first use.

    The generic model reads the per-node columns a reader stored (heap_node.id, .class_idx, .shallow) and the
    class names of heap_class; a format whose index holds its nodes otherwise (HPROF: objects from their
    records, class mirrors from the class table) subclasses it and names the subclass in the registry."""

    def __init__(self, dump: Dump, conn: sqlite3.Connection | None = None) -> None:
        self.conn = conn or dump.conn
        if not has_graph(self.conn):
            raise ValueError(f"{dump.path}: the object graph has not been computed yet")
        self.dump = dump
        self.meta = dump.meta
        self._stored: dict[str, StoredArray] = {}

    def _array(self, name: str) -> np.ndarray:
        return load_array(self.conn, name)

    PRELOAD = ("ids", "node_class", "shallow", "retained", "idom", "reach", "_dom", "_fwd", "_rev", "_id_index",
               "class_names", "heap_bytes", "is_root")

    def preload(self) -> HeapGraph:
        """Load everything the docks use (off the GUI thread), so browsing never waits on a load."""
        for name in self.PRELOAD:
            getattr(self, name)
        return self

    def object_reader(self) -> ObjectReader:
        """What reads one object's contents, fields and edge names for this dump's format."""
        from pmdesk.model.heap.objects import ObjectReader

        return ObjectReader(self)

    # ---- per-node columns (each loaded on first use: a query touches only what it needs)
    @functools.cached_property
    def ids(self) -> np.ndarray:
        """uint64 id of every node: an object's address (a synthetic node's: what the format gives it)."""
        return self._array("heap_node.id").astype(np.uint64, copy=False)

    @functools.cached_property
    def node_class(self) -> np.ndarray:
        """class_idx of every node."""
        return self._array("heap_node.class_idx").astype(np.int32, copy=False)

    @functools.cached_property
    def shallow(self) -> np.ndarray:
        return self._array("heap_node.shallow").astype(np.int64, copy=False)

    @functools.cached_property
    def class_names(self) -> dict[int, str]:
        return dict(self.conn.execute("SELECT class_idx, name FROM heap_class"))

    @property
    def n_objects(self) -> int:
        """Nodes below this number are the heap's objects; the rest are the format's synthetic nodes."""
        return int(self.meta["graph.objects"])

    def offset(self, node: int) -> int | None:
        """Where the object's record starts in the dump, when the format keeps it (HPROF)."""
        return None

    def array_length(self, node: int) -> int:
        """An array's length; -1 for anything else (and for formats without arrays)."""
        return -1

    def represented_class(self, node: int) -> str | None:
        """For a class object (HPROF's class mirrors), the name of the class it is the object of."""
        return None

    def node_label(self, node: int) -> str | None:
        """What a synthetic node is called ('goroutine 17 [chan receive]'); None for an object."""
        return None

    @functools.cached_property
    def retained(self) -> np.ndarray:
        return self._array("graph.retained").astype(np.int64, copy=False)

    @functools.cached_property
    def idom(self) -> np.ndarray:
        return self._array("graph.idom").astype(np.int32, copy=False)

    @functools.cached_property
    def reach(self) -> np.ndarray:
        return self._array("graph.reach").astype(np.uint8, copy=False)

    @functools.cached_property
    def _dom(self) -> tuple[np.ndarray, np.ndarray]:
        return self._array("graph.dom_start"), self._array("graph.dom_kids").astype(np.int32, copy=False)

    @functools.cached_property
    def _fwd(self) -> tuple[np.ndarray, np.ndarray]:
        return self._array("graph.fwd_start"), self._array("graph.fwd").astype(np.int32, copy=False)

    @functools.cached_property
    def _rev(self) -> tuple[np.ndarray, np.ndarray]:
        """Referrers: derived from the stored references on first use (faster than storing them)."""
        start, fwd = self._fwd
        return reverse_edges(len(start) - 1, start, fwd)

    @functools.cached_property
    def roots(self) -> np.ndarray:
        return self._array("graph.roots").astype(np.int32, copy=False)

    @functools.cached_property
    def is_root(self) -> np.ndarray:
        flags = np.zeros(len(self.idom), np.bool_)
        flags[self.roots] = True
        return flags

    @functools.cached_property
    def _id_index(self) -> tuple[np.ndarray, np.ndarray | None, dict[int, int]]:
        """Object ids for binary search (dump order when it is already sorted), the sorting permutation
        otherwise, and the ids of other nodes that can be looked up (HPROF's class mirrors)."""
        obj = self.ids[:self.n_objects]
        if len(obj) < 2 or bool(np.all(obj[1:] >= obj[:-1])):
            return obj, None, {}
        order = np.argsort(obj, kind="stable")
        return obj[order], order, {}

    # ---- lookups
    def node_of(self, obj_id: int) -> int | None:
        """The node with this id, or None when the dump has no such object."""
        ids, order, mirrors = self._id_index
        if obj_id in mirrors:
            return mirrors[obj_id]
        if not 0 <= obj_id < 1 << 64:
            return None
        i = int(np.searchsorted(ids, np.uint64(obj_id)))
        if i < len(ids) and int(ids[i]) == obj_id:
            return i if order is None else int(order[i])
        return None

    def class_of(self, node: int) -> str:
        return self.class_names.get(int(self._column("node_class", "heap_node.class_idx", [node])[0]), "?")

    def _column(self, name: str, stored: str, nodes: list[int]) -> np.ndarray:
        """Values of a per-node column for a few nodes: from the loaded array, or read in place."""
        if name in self.__dict__:
            return getattr(self, name)[nodes]
        if stored not in self._stored:
            self._stored[stored] = StoredArray(self.conn, stored)
        return self._stored[stored].take(nodes)

    def objs(self, nodes: list[int]) -> list[HeapObject]:
        """HeapObjects for a few nodes, without loading whole columns that are not loaded yet."""
        nodes = [int(v) for v in nodes]
        if not nodes:
            return []
        ids = self._column("ids", "heap_node.id", nodes).astype(np.uint64)
        cls = self._column("node_class", "heap_node.class_idx", nodes)
        shallow = self._column("shallow", "heap_node.shallow", nodes)
        names = self.class_names
        return [HeapObject(v, int(ids[k]), names.get(int(cls[k]), "?"), int(shallow[k]), int(self.retained[v]))
                for k, v in enumerate(nodes)]

    def obj(self, node: int) -> HeapObject:
        return self.objs([node])[0]

    def label(self, node: int) -> str:
        rc = self.represented_class(node)
        if rc:
            return f"class {rc} @ {format_id(self.obj(node).id)}"
        return self.node_label(node) or self.obj(node).label

    # ---- queries
    def biggest(self, top: int = 25) -> list[HeapObject]:
        """The objects with the largest retained size anywhere in the heap."""
        ret = self.retained
        top = min(top, len(ret))
        if top <= 0:
            return []
        part = np.argpartition(-ret, top - 1)[:top]
        part = part[np.lexsort((part, -ret[part]))]
        return self.objs(part.tolist())

    def dominated(self, node: int = ROOT, top: int | None = None, reachable_only: bool = True) -> list[HeapObject]:
        """Children of `node` (or of the root) in the dominator tree, largest retained first."""
        start, kids = self._dom
        v = len(self.idom) if node == ROOT else node
        seg = kids[start[v]:start[v + 1]]
        if reachable_only and node == ROOT:
            seg = seg[self.reach[seg] == REACH_STRONG]
        if top is not None:
            seg = seg[:top]
        return self.objs(seg.tolist())

    def child_count(self, node: int = ROOT) -> int:
        start, _ = self._dom
        v = len(self.idom) if node == ROOT else node
        return int(start[v + 1] - start[v])

    def dominator_chain(self, node: int) -> list[int]:
        """node, its immediate dominator, … up to a child of the root."""
        chain = [node]
        while self.idom[chain[-1]] >= 0 and len(chain) < 100_000:
            chain.append(int(self.idom[chain[-1]]))
        return chain

    def referents(self, node: int) -> list[tuple[int, bool]]:
        """(target node, weak) for each outgoing reference."""
        start, fwd = self._fwd
        return [(t if t >= 0 else ~t, t < 0) for t in fwd[start[node]:start[node + 1]].tolist()]

    def referrers(self, node: int, most: int | None = None) -> list[tuple[int, bool]]:
        start, rev = self._rev
        seg = rev[start[node]:start[node + 1]]
        if most is not None:
            seg = seg[:most]
        return [(s if s >= 0 else ~s, s < 0) for s in seg.tolist()]

    def referrer_count(self, node: int) -> int:
        start, _ = self._rev
        return int(start[node + 1] - start[node])

    def paths_from_roots(self, node: int, max_paths: int = 5) -> list[list[int]]:
        """Shortest paths from GC roots to `node` over strong references, nearest roots first;
        each path runs root → … → node."""
        start, rev = self._rev
        nxt = np.full(len(self.idom), -1, np.int32)
        found = _paths_back(np.int32(node), start, rev, self.is_root, max_paths, nxt)
        paths = []
        for r in found.tolist():
            path = [r]
            while path[-1] != node:
                path.append(int(nxt[path[-1]]))
            paths.append(path)
        return paths

    @functools.cached_property
    def heap_bytes(self) -> int:
        """Shallow bytes of every object some GC root reaches (strongly or through weak references):
        the heap size MAT reports once unreachable objects are discarded."""
        return int(self.shallow[self.reach != REACH_NONE].sum())
