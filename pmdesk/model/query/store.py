"""The query store of a dump: a SQLite file beside its index (`<index>.query.sqlite`; in the user's cache
when the index folder is read-only) holding the views that are not views over the index — the heap's per-object
tables, made from the graph's arrays, and a recording's events — each made once, when a query first names
it, in one transaction with progress and cancellation. The index is only ever read."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.progress import Progress
from pmdesk.index import store

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

BATCH = 100_000
STRING_CLASSES = frozenset({"java.lang.String", "str", "bytes", "int", "float", "string"}) | frozenset(
    f"java.lang.{n}" for n in ("Integer", "Long", "Short", "Byte", "Character", "Boolean", "Float", "Double"))


def store_path(dump: Dump) -> Path:
    beside = dump.index_path.with_name(dump.index_path.name + ".query.sqlite")
    if os.access(beside.parent, os.W_OK):
        return beside
    return store.default_index_dir().parent / "query" / beside.name


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _ids(g: Any, nodes: np.ndarray) -> np.ndarray:
    return g.ids[nodes].astype(np.int64)   # addresses past 2**63 wrap, as SQLite's integers do


def _objects(dump: Dump, progress: Progress) -> dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]:
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    ensure_graph(dump, progress.part(0, 0.5))
    g = heap_graph(dump)
    n = len(g.idom)
    ids = _ids(g, np.arange(n))
    dom = np.where(g.idom >= 0, ids[np.maximum(g.idom, 0)], 0)
    rows = zip(ids.tolist(), g.node_class[:n].tolist(), g.shallow[:n].tolist(), g.retained[:n].tolist(),
               dom.tolist(), (g.reach[:n] == 0).astype(np.int8).tolist(), (g.idom >= 0).tolist(), strict=True)
    return {
        "q_class": ("class_idx INTEGER PRIMARY KEY, name TEXT", list(g.class_names.items()), len(g.class_names)),
        "q_object": ("id INTEGER, class_idx INTEGER, shallow_bytes INTEGER, retained_bytes INTEGER, "
                     "dominator INTEGER, reachable INTEGER",
                     ((i, c, s, r, d if has else None, k) for i, c, s, r, d, k, has in rows), n),
    }


def _references(dump: Dump, progress: Progress) -> dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]:
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    ensure_graph(dump, progress.part(0, 0.5))
    g = heap_graph(dump)
    start, targets = g._fwd
    sources = np.repeat(np.arange(len(start) - 1), np.diff(start))
    weak = targets < 0
    real = np.where(weak, ~targets, targets)
    ids = g.ids.astype(np.int64)
    rows = zip(ids[sources].tolist(), ids[real].tolist(), weak.astype(np.int8).tolist(), strict=True)
    return {"q_reference": ("source INTEGER, target INTEGER, weak INTEGER", rows, len(targets))}


def _roots(dump: Dump, progress: Progress) -> dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]:
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    ensure_graph(dump, progress.part(0, 0.5))
    g = heap_graph(dump)
    roots = g.roots
    names = g.class_names
    rows = zip(_ids(g, roots).tolist(), (names.get(int(c), "?") for c in g.node_class[roots].tolist()), strict=True)
    return {"q_root": ("id INTEGER, class TEXT", rows, len(roots))}


def _strings(dump: Dump, progress: Progress) -> dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]:
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    ensure_graph(dump, progress.part(0, 0.2))
    g = heap_graph(dump)
    wanted = [i for i, name in g.class_names.items() if name in STRING_CLASSES]
    nodes = np.nonzero(np.isin(g.node_class, wanted))[0]
    reader = g.object_reader()
    ids = g.ids.astype(np.int64)

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(0, len(nodes), BATCH):
            chunk = nodes[i:i + BATCH].tolist()
            progress.update(0.2 + 0.8 * i / max(len(nodes), 1), "reading strings")
            for v, text in reader.values(chunk).items():
                yield int(ids[v]), text

    return {"q_string": ("id INTEGER, value TEXT", rows(), len(nodes))}


def _events(dump: Dump, progress: Progress) -> dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]:
    from pmdesk.model.jfr.recording import Recording

    rec = Recording.of(dump)
    names: dict[int, str] = {}

    def thread(row: int) -> str | None:
        if row < 0:
            return None
        if row not in names:
            names[row] = rec.thread_name(row)
        return names[row]

    def rows() -> Iterator[tuple[Any, ...]]:
        for t in rec.type_names:
            ev = rec.events(t)
            for s, d, th in zip(ev.start_ns.tolist(), ev.duration_ns.tolist(), ev.thread.tolist(), strict=True):
                yield t, s, d, thread(th)

    total = sum(len(rec.events(t)) for t in rec.type_names)
    return {"q_event": ("type TEXT, start_ns INTEGER, duration_ns INTEGER, thread TEXT", rows(), total)}


MATERIALISED: dict[str, tuple[Callable[..., dict[str, tuple[str, Iterable[tuple[Any, ...]], int]]], str]] = {
    # view: (what makes its tables, the view's SELECT over them)
    "objects": (_objects, "SELECT o.id, c.name AS class, o.shallow_bytes, o.retained_bytes, o.dominator, "
                          "o.reachable FROM q.q_object o JOIN q.q_class c ON c.class_idx = o.class_idx"),
    "refs": (_references, "SELECT source, target, weak FROM q.q_reference"),
    "roots": (_roots, "SELECT id, class FROM q.q_root"),
    "strings": (_strings, "SELECT id, value FROM q.q_string"),
    "events": (_events, "SELECT type, start_ns, duration_ns, thread FROM q.q_event"),
}


def made(path: Path) -> set[str]:
    """The views whose tables the store holds."""
    if not path.exists():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            return {r[0] for r in conn.execute("SELECT view FROM q_made")}
        except sqlite3.Error:
            return set()


def make(dump: Dump, views: Iterable[str], progress: Progress) -> Path:
    """The store with the tables of `views` (those not made yet made now, each in one transaction)."""
    path = store_path(dump)
    todo = [v for v in views if v in MATERIALISED and v not in made(path)]
    if not todo:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS q_made (view TEXT PRIMARY KEY)")
        for k, view in enumerate(todo):
            part = progress.part(k / len(todo), (k + 1) / len(todo))
            tables = MATERIALISED[view][0](dump, part)
            with conn:   # one transaction: a cancelled build leaves nothing half made
                for name, (columns, rows, total) in tables.items():
                    conn.execute(f"DROP TABLE IF EXISTS {name}")
                    conn.execute(f"CREATE TABLE {name} ({columns})")
                    marks = ", ".join("?" * columns.count(","))
                    done = 0
                    for batch in _batches(rows):
                        conn.executemany(f"INSERT INTO {name} VALUES ({marks}, ?)", batch)
                        done += len(batch)
                        part.update(0.5 + 0.5 * done / max(total, 1), f"making the {view} table: {done:,} rows")
                conn.execute("INSERT OR REPLACE INTO q_made VALUES (?)", (view,))
    finally:
        conn.close()
    return path
