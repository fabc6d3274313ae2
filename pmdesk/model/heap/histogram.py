"""Heap dump queries: the class histogram and the facts the Overview shows about a Java heap dump."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pmdesk.model.dump import Dump
from pmdesk.readers.hprof.records import ROOT_NAMES


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
    """(label, value) pairs describing a heap dump, in display order."""
    m = dump.meta
    ts = m.get("hprof.timestamp_ms")
    when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "?"
    threads = dump.conn.execute("SELECT COUNT(*) FROM hprof_root WHERE kind = 8").fetchone()[0]
    loaders = dump.conn.execute("SELECT COUNT(DISTINCT loader_id) FROM hprof_class WHERE class_id IS NOT NULL "
                                "AND loader_id != 0").fetchone()[0]
    roots = ", ".join(f"{n:,} {ROOT_NAMES.get(k, hex(k))}" for k, n in dump.conn.execute(
        "SELECT kind, COUNT(*) AS n FROM hprof_root GROUP BY kind ORDER BY n DESC"))
    out = [
        ("File", dump.path),
        ("Format", f"{m.get('hprof.version', 'HPROF')}" + (" (gzip)" if m.get("hprof.compressed") else "")),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Dumped at", when),
        ("Identifier size", f"{m.get('hprof.id_size')} bytes"),
        ("Object layout", f"{m.get('hprof.layout')} (header {m.get('hprof.object_header_bytes')} B, "
                          f"reference {m.get('hprof.reference_bytes')} B)"),
        ("Objects", f"{m.get('summary.objects', 0):,}"),
        ("Classes with instances", f"{m.get('summary.classes', 0):,}"),
        ("Heap (shallow)", f"{m.get('summary.shallow_bytes', 0):,} bytes"),
        ("Class loaders", f"{loaders:,} (besides the bootstrap loader)"),
        ("GC roots", f"{m.get('summary.roots', 0):,} in the dump" + (f": {roots}" if roots else "")),
        ("Threads", f"{threads:,}"),
        ("Index", str(dump.index_path)),
        ("Index time", f"{m.get('index.seconds', 0):.2f} s" + ("" if dump.built else " (reused)")),
    ]
    if "graph.version" in m:
        out[-2:-2] = [
            ("Object graph", f"{m['graph.nodes']:,} objects (with {m['graph.class_nodes']:,} class objects), "
                             f"{m['graph.edges']:,} references, {m['graph.roots']:,} distinct GC roots (the "
                             "dump's, and every class of the boot loader, which never unloads)"),
            ("Not strongly reachable", f"{m['graph.weakly_reachable']:,} objects only through weak/soft references, "
                                       f"{m['graph.unreachable']:,} unreachable" + (
                                           " (the dump is cut short: objects whose referrers were past the cut "
                                           "look unreachable)" if m.get("hprof.truncated_at") is not None and
                                           m["graph.unreachable"] else "")),
            ("Dominator tree", f"computed in {m['graph.seconds']:.2f} s"),
        ]
    else:
        out[-2:-2] = [("Dominator tree", "not computed yet")]
    if m.get("hprof.truncated_at") is not None:
        out.insert(3, ("Truncated", f"at byte {m['hprof.truncated_at']:,}"))
    return out
