"""Two heap dumps of one process compared: per-class deltas (count, shallow and retained bytes), and —
since object ids change between dumps — what *holds* the growth: each dump's dominator tree summarised by
holder path (the classes and fields from the GC roots down, e.g. `class LeakApp ▸ static SESSIONS ▸
java.util.HashMap ▸ table ▸ java.util.HashMap$Node[]`), paths matched between the dumps."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pmdesk.index import store
from pmdesk.index.derive.dominators import subtree_sizes
from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.histogram import histogram

SEP = " ▸ "
MIN_FRACTION = 0.0005  # a holder is followed further down when it retains at least this share of the heap
_INDEX = re.compile(r"^\[\d+\]$")


@dataclass
class Holder:
    retained: int = 0
    objects: int = 0
    nodes: list[int] = field(default_factory=list)  # the objects at this path (first few)


def _labels(g: HeapGraph, nodes: np.ndarray) -> list[str]:
    """What each node is, for a path: its class, or `class X` for a class object."""
    names = g.class_names
    out = []
    for v, c in zip(nodes.tolist(), g.node_class[nodes].tolist(), strict=True):
        rc = g.represented_class(v)
        out.append(f"class {rc}" if rc else names.get(c, "?"))
    return out


def _sizes(g: HeapGraph) -> np.ndarray:
    if "subtree_sizes" not in g.dump.cache:
        start, kids = g._dom
        g.dump.cache["subtree_sizes"] = subtree_sizes(len(g.idom), start, kids)
    return g.dump.cache["subtree_sizes"]


def holder_paths(g: HeapGraph, min_fraction: float = MIN_FRACTION) -> dict[tuple[str, ...], Holder]:
    """Retained bytes and objects under every holder path of the dominator tree, down to the holders that
    retain at least `min_fraction` of the heap; smaller subtrees are summed into their parent's path
    by (field, class)."""
    sizes = _sizes(g)
    reader = g.object_reader()
    limit = max(int(int(g.meta["graph.total_bytes"]) * min_fraction), 1)
    start, kids_all = g._dom
    fwd_start, fwd = g._fwd
    retained = g.retained
    node_class = g.node_class
    n_obj = g.n_objects
    out: dict[tuple[str, ...], Holder] = {}

    def add(path: tuple[str, ...], nodes: np.ndarray) -> None:
        h = out.setdefault(path, Holder())
        h.retained += int(retained[nodes].sum())
        h.objects += int(sizes[nodes].sum())
        h.nodes.extend(nodes[: max(0, 16 - len(h.nodes))].tolist())

    root = len(g.idom)
    top = kids_all[start[root]:start[root + 1]]
    top = top[g.reach[top] == 0]
    level: list[tuple[int, tuple[str, ...]]] = []
    for v, label in zip(top.tolist(), _labels(g, top), strict=True):
        add((label,), np.array([v]))
        if retained[v] >= limit:
            level.append((v, (label,)))
    while level:  # breadth first: each level's records are read in one pass over the dump
        plan = []
        for v, path in level:
            kids = kids_all[start[v]:start[v + 1]]
            direct = np.isin(kids, fwd[fwd_start[v]:fwd_start[v + 1]])
            is_array = v < n_obj and g.array_length(v) >= 0
            named = [] if is_array else kids[direct].tolist()
            plan.append((v, path, kids, direct, is_array, named))
        labelled = reader.edge_labels_many({v: named for v, _p, _k, _d, _a, named in plan if named})
        nxt: list[tuple[int, tuple[str, ...]]] = []
        for v, path, kids, direct, is_array, _named in plan:
            groups: dict[tuple[str, ...], list[np.ndarray]] = {}
            plain = direct & (kids < n_obj) if is_array else np.zeros(len(kids), np.bool_)
            if plain.any():  # an array's elements, by class, without a Python loop over them
                members = kids[plain]
                cls = node_class[members]
                for c in np.unique(cls).tolist():
                    groups.setdefault((*path, f"[]: {g.class_names.get(c, '?')}"), []).append(members[cls == c])
            rest = kids[~plain]
            labels = labelled.get(v, {})
            for k, what, d in zip(rest.tolist(), _labels(g, rest), direct[~plain].tolist(), strict=True):
                via = ("[]" if is_array else _INDEX.sub("[]", labels.get(k, "…"))) if d else "…"
                groups.setdefault((*path, f"{via}: {what}"), []).append(np.array([k]))
            for p, parts in groups.items():
                nodes = np.concatenate(parts)
                add(p, nodes)
                nxt.extend((int(k), p) for k in nodes[retained[nodes] >= limit].tolist())
        level = nxt
    return out


@dataclass
class ClassDelta:
    name: str
    count_a: int
    count_b: int
    shallow_a: int
    shallow_b: int
    retained_a: int | None
    retained_b: int | None

    @property
    def status(self) -> str:
        return "new" if self.count_a == 0 else ("vanished" if self.count_b == 0 else "")

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "count_a": self.count_a, "count_b": self.count_b, "shallow_a": self.shallow_a,
                "shallow_b": self.shallow_b, "retained_a": self.retained_a, "retained_b": self.retained_b}


@dataclass
class HolderDelta:
    path: tuple[str, ...]
    retained_a: int
    retained_b: int
    objects_a: int
    objects_b: int
    nodes_a: list[int]
    nodes_b: list[int]

    @property
    def growth(self) -> int:
        return self.retained_b - self.retained_a

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "retained_a": self.retained_a, "retained_b": self.retained_b,
                "objects_a": self.objects_a, "objects_b": self.objects_b}


@dataclass
class CollectionGrowth:
    path: tuple[str, ...]
    cls: str
    size_a: int
    size_b: int

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "class": self.cls, "size_a": self.size_a, "size_b": self.size_b}


@dataclass
class Comparison:
    classes: list[ClassDelta]
    holders: list[HolderDelta]
    collections: list[CollectionGrowth]
    matched_fraction: float  # share of B's retained heap under paths that A has too

    def as_json(self, top: int | None = None) -> dict[str, Any]:
        return {"classes": [c.as_json() for c in self.classes[:top]],
                "holders": [h.as_json() for h in self.holders[:top]],
                "collections": [c.as_json() for c in self.collections[:top]],
                "matched_fraction": round(self.matched_fraction, 4)}


def class_deltas(a: HeapGraph, b: HeapGraph) -> list[ClassDelta]:
    rows_a = {r.name: r for r in histogram(a.dump)}
    rows_b = {r.name: r for r in histogram(b.dump)}
    out = []
    for name in rows_a.keys() | rows_b.keys():
        ra, rb = rows_a.get(name), rows_b.get(name)
        out.append(ClassDelta(name, ra.count if ra else 0, rb.count if rb else 0, ra.shallow_bytes if ra else 0,
                              rb.shallow_bytes if rb else 0, ra.retained_bytes if ra else None,
                              rb.retained_bytes if rb else None))
    out.sort(key=lambda c: (-(c.shallow_b - c.shallow_a), c.name))
    return out


HOLDERS_VERSION = 1


def holder_summary(g: HeapGraph) -> dict[tuple[str, ...], Holder]:
    """holder_paths of a dump, computed once and kept in its index (a later comparison reads them back)."""
    conn = g.conn
    if g.meta.get("holders.version") == HOLDERS_VERSION:
        return {tuple(p.split(SEP)): Holder(r, o, json.loads(n)) for p, r, o, n in conn.execute(
            "SELECT path, retained_bytes, objects, nodes FROM heap_holder")}
    paths = holder_paths(g)
    index = Path(g.dump.index_path)
    if not store.writable(index):
        return paths  # a cache only: where it cannot be kept, it is computed again next time
    with store.index_lock(index):  # one transaction; a kill mid-write is rolled back by the next open
        store.recover(index)
        try:
            with contextlib.closing(sqlite3.connect(index, timeout=60)) as w:
                w.execute("CREATE TABLE IF NOT EXISTS heap_holder (path TEXT PRIMARY KEY, retained_bytes INTEGER "
                          "NOT NULL, objects INTEGER NOT NULL, nodes TEXT NOT NULL)")
                w.execute("DELETE FROM heap_holder")
                w.executemany("INSERT INTO heap_holder VALUES (?, ?, ?, ?)",
                              [(SEP.join(p), h.retained, h.objects, json.dumps(h.nodes)) for p, h in paths.items()])
                w.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('holders.version', ?)", (HOLDERS_VERSION,))
                w.commit()
        except (sqlite3.Error, OSError):
            pass  # a full disk, a locked index: the summary is computed again next time
    return paths


def _passes_through(h: HolderDelta, holders: list[HolderDelta], g: HeapGraph) -> bool:
    """A holder that only passes its growth on — a class object (its statics hold), or a wrapper one child
    path of which has ≥ 90% of the growth and that is no collection itself — ranks after those that hold."""
    if h.growth <= 0:
        return False
    children = [c for c in holders if len(c.path) == len(h.path) + 1 and c.path[:-1] == h.path]
    biggest = max((c.growth for c in children), default=0)
    if h.path[-1].rsplit(": ", 1)[-1].startswith("class ") and biggest > 0:
        return True  # a class object only holds its static fields: they are the holders
    if biggest < 0.9 * h.growth:
        return False
    return not g.object_reader().is_collection(h.path[-1].rsplit(": ", 1)[-1])


def compare(a: HeapGraph, b: HeapGraph) -> Comparison:
    """What changed from dump `a` to dump `b` (of the same process, `b` later)."""
    with ThreadPoolExecutor(max_workers=2) as pool:  # one dump per core (each through its own connection)
        pa, pb = pool.map(holder_summary, (a, b))
    holders = []
    for path in pa.keys() | pb.keys():
        ha, hb = pa.get(path, Holder()), pb.get(path, Holder())
        holders.append(HolderDelta(path, ha.retained, hb.retained, ha.objects, hb.objects, ha.nodes, hb.nodes))
    through = {h.path for h in holders if _passes_through(h, holders, b)}
    holders.sort(key=lambda h: (h.path in through, -h.growth, len(h.path), h.path))
    matched = sum(hb.retained for p, hb in pb.items() if p in pa and len(p) == 1)
    total_b = sum(hb.retained for p, hb in pb.items() if len(p) == 1) or 1
    ra, rb = a.object_reader(), b.object_reader()
    collections = []
    for h in holders[:200]:
        if len(h.nodes_a) == 1 and len(h.nodes_b) == 1 and h.objects_a > 1:
            sa, sb = ra.collection_size(h.nodes_a[0]), rb.collection_size(h.nodes_b[0])
            if sa is not None and sb is not None and sa != sb:
                collections.append(CollectionGrowth(h.path, b.class_of(h.nodes_b[0]), sa, sb))
    collections.sort(key=lambda c: -(c.size_b - c.size_a))
    return Comparison(class_deltas(a, b), holders, collections, matched / total_b)
