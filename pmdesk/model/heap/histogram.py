"""Heap dump queries: the class histogram and the facts the Overview shows about a Java heap dump."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmdesk.model.dump import Dump


@dataclass(frozen=True)
class HistogramRow:
    class_idx: int
    name: str
    count: int
    shallow_bytes: int
    retained_bytes: int | None


SORT_KEYS = {"count": "count", "shallow": "shallow_bytes", "retained": "retained_bytes"}


def histogram(dump: Dump, sort: str = "shallow", pattern: str | None = None,
              top: int | None = None) -> list[HistogramRow]:
    """Classes with instances, largest first by `sort`, optionally filtered by a regex on the name."""
    col = SORT_KEYS[sort]
    rows = [HistogramRow(*r) for r in dump.conn.execute(
        f"SELECT class_idx, name, count, shallow_bytes, retained_bytes FROM heap_histogram "
        f"ORDER BY {col} IS NULL, {col} DESC, name")]
    if pattern:
        rx = re.compile(pattern)
        rows = [r for r in rows if rx.search(r.name)]
    return rows[:top] if top is not None else rows


def status_line(dump: Dump) -> str:
    """What the status line says once a heap dump is open."""
    m = dump.meta
    return f"{m.get('summary.objects', 0):,} objects, {m.get('summary.classes', 0):,} classes"


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs any heap dump has, in display order (a format's own overview adds to them)."""
    m = dump.meta
    out = [
        ("File", dump.path),
        ("Format", dump.spec.description),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Objects", f"{m.get('summary.objects', 0):,}"),
        ("Classes with instances", f"{m.get('summary.classes', 0):,}"),
        ("Heap (shallow)", f"{m.get('summary.shallow_bytes', 0):,} bytes"),
        ("GC roots", f"{m.get('summary.roots', 0):,} in the dump"),
    ]
    return out + graph_facts(dump) + index_facts(dump)


def graph_facts(dump: Dump, truncated: bool = False, synthetic_nodes: str = "other nodes") -> list[tuple[str, str]]:
    """The object graph's figures, once computed; `truncated`: the dump is cut short; `synthetic_nodes`: what
    the graph's nodes that are not objects are."""
    m = dump.meta
    if "graph.version" not in m:
        return [("Dominator tree", "not computed yet")]
    synthetic = m["graph.nodes"] - m["graph.objects"]
    return [
        ("Object graph", f"{m['graph.nodes']:,} nodes ({m['graph.objects']:,} objects"
                         + (f", {synthetic:,} {synthetic_nodes}" if synthetic else "") + "), "
                         f"{m['graph.edges']:,} references, {m['graph.roots']:,} distinct GC roots"),
        ("Not strongly reachable", f"{m['graph.weakly_reachable']:,} objects only through weak/soft references, "
                                   f"{m['graph.unreachable']:,} unreachable" + (
                                       " (the dump is cut short: objects whose referrers were past the cut look "
                                       "unreachable)" if truncated and m["graph.unreachable"] else "")),
        ("Dominator tree", f"computed in {m['graph.seconds']:.2f} s"),
    ]


def index_facts(dump: Dump) -> list[tuple[str, str]]:
    m = dump.meta
    return [("Index", str(dump.index_path)),
            ("Index time", f"{m.get('index.seconds', 0):.2f} s" + ("" if dump.built else " (reused)"))]
