"""A Go heap dump on the heap-graph model: labels for its synthetic nodes (goroutines, stack frames,
segments, finalizer roots), objects read again from the dump (pointer fields by offset, the allocation
stack), goroutines with the objects each frame holds, and the Overview with the runtime's memstats."""

from __future__ import annotations

import bisect
import functools
from typing import Any

import numpy as np

from pmdesk.index.store import StoredArray
from pmdesk.model.dump import Dump
from pmdesk.model.heap.graph import HeapGraph, format_id
from pmdesk.model.heap.histogram import graph_facts, index_facts
from pmdesk.model.heap.objects import FieldValue, ObjectDetails, ObjectReader
from pmdesk.model.heap.report import FrameLocals, ThreadInfo
from pmdesk.readers.goheap import records as R
from pmdesk.readers.goheap.reader import Sorted, mapped

FIELDS_SHOWN = 200  # pointer fields listed for one object


def _u(v: int | None) -> int:
    return 0 if v is None else v & 0xFFFFFFFFFFFFFFFF


class GoHeapGraph(HeapGraph):
    """A Go heap dump's graph: the objects, then segments, goroutines, frames and root nodes."""

    def object_reader(self) -> GoObjectReader:
        return GoObjectReader(self)

    @functools.cached_property
    def synthetic(self) -> dict[int, tuple[str, str]]:
        """Each synthetic node's (kind, label)."""
        out: dict[int, tuple[str, str]] = {}
        goids = {}
        for node, goid, status, reason in self.conn.execute(
                "SELECT node, goid, status, wait_reason FROM goheap_goroutine"):
            goids[node] = goid
            out[node] = ("goroutine", f"goroutine {goid} [{reason or status}]")
        for node, g, depth, fn in self.conn.execute("SELECT node, goroutine, depth, function FROM goheap_frame"):
            out[node] = ("frame", f"{fn} (goroutine {goids.get(g, '?')}, frame {depth})")
        for node, kind, name in self.conn.execute("SELECT node, kind, name FROM goheap_root_node"):
            out[node] = (kind, name)
        return out

    @functools.cached_property
    def by_address(self) -> Sorted:
        """The objects by address: which one a pointer points into."""
        return Sorted.of(self.ids[:self.n_objects], self.shallow[:self.n_objects])

    def node_label(self, node: int) -> str | None:
        return self.synthetic.get(node, (None, None))[1] if node >= self.n_objects else None


class GoObjectReader(ObjectReader):
    """A Go heap dump's objects read again from the dump: pointer fields by offset, allocation stacks."""

    g: GoHeapGraph

    def _column(self, name: str, nodes: list[int]) -> np.ndarray:
        return StoredArray(self.conn, name).take(nodes)

    def _pointer_fields(self, nodes: list[int]) -> dict[int, list[tuple[int, int]]]:
        """(offset, value) of each pointer field of these objects, frames and segments, read from the dump."""
        g = self.g
        where: dict[int, tuple[int, int, int]] = {}  # node -> (contents, size, fields offset)
        objs = [v for v in nodes if v < g.n_objects]
        if objs:
            content = self._column("goheap_object.content", objs)
            fields = self._column("goheap_object.fields", objs)
            size = g.shallow[objs] if "shallow" in g.__dict__ else self._column("heap_node.shallow", objs)
            for k, v in enumerate(objs):
                where[v] = (int(content[k]), int(size[k]), int(fields[k]))
        records = {}
        for v in nodes:
            if v >= g.n_objects:
                row = self.conn.execute("SELECT record FROM goheap_frame WHERE node = ? UNION ALL "
                                        "SELECT record FROM goheap_root_node WHERE node = ? AND record IS NOT NULL",
                                        (v, v)).fetchone()
                if row:
                    records[v] = row[0]
        out: dict[int, list[tuple[int, int]]] = {}
        with mapped(g.dump.path) as mm:
            for v, rec in records.items():
                c = R.Cursor(mm, rec)
                tag = c.uint()
                if tag == R.T_STACK_FRAME:
                    fr = R.frame(c, rec)
                    where[v] = (fr.content, fr.size, c.pos)
                else:
                    c.uint()
                    start, size = c.skip_range()
                    where[v] = (start, size, c.pos)
            for v, (content, size, fpos) in where.items():
                c = R.Cursor(mm, fpos)
                got = []
                for kind, off in c.fields():
                    off += 8 if kind != R.F_PTR else 0
                    if 0 <= off <= size - 8:
                        got.append((off, int.from_bytes(mm[content + off:content + off + 8], "little")))
                out[v] = got
        return out

    def root_kinds(self, node: int) -> list[str]:
        g = self.g
        if not g.is_root[node]:
            return []
        if node >= g.n_objects:
            kind = g.synthetic.get(node, ("GC root", ""))[0]
            return [{"data": "data segment (globals)", "bss": "bss segment (globals)"}.get(kind, kind)]
        out = []
        for src in sorted({s for s, _weak in g.referrers(node) if s >= g.n_objects}):  # many words may point here
            kind = g.synthetic.get(src, ("object", ""))[0]
            if kind in ("data", "bss"):
                at = self.edge_labels(src, [node])[node]
                out.append(f"global {at} ({kind})" if not at.startswith("0x") else f"global at {at} ({kind})")
        return out or ["GC root"]

    @functools.cached_property
    def _globals(self) -> tuple[list[int], list[tuple[int, str]]]:
        """The program's globals by address (empty unless the dump was indexed with it: --exe)."""
        rows = self.conn.execute("SELECT address, size, name FROM goheap_global ORDER BY address").fetchall()
        return [a & 0xFFFFFFFFFFFFFFFF for a, _s, _n in rows], [(s, n) for _a, s, n in rows]

    def global_named(self, addr: int) -> str | None:
        """'main.registry' (or 'main.table+0x10') for a word of a global, None when not known."""
        starts, rest = self._globals
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0:
            return None
        size, name = rest[i]
        off = addr - starts[i]
        return (name if off == 0 else f"{name}+{off:#x}") if off < max(size, 8) else None

    def fill_contents(self, d: ObjectDetails) -> None:
        g = self.g
        node = d.obj.node
        if node >= g.n_objects:
            d.kind = g.synthetic.get(node, ("node", ""))[0]
        else:
            d.kind = "object"
            d.allocation = self.allocation_stack(node)
        fields = self._pointer_fields([node]).get(node, [])[:FIELDS_SHOWN]
        owners = self._owners([val for _o, val in fields if val])
        for off, val in fields:
            t = owners.get(val)
            text = ("nil" if val == 0 else g.label(t) + ("" if int(g.ids[t]) == val else
                                                          f" + 0x{val - int(g.ids[t]):x}") if t is not None
                    else f"{format_id(val)} (outside the heap)")
            d.fields.append(FieldValue(f"+0x{off:x}", "pointer", val or None, text, t))

    def _owners(self, values: list[int]) -> dict[int, int]:
        """The object each (interior) pointer points into."""
        if not values:
            return {}
        t = self.g.by_address.owners(np.array(values, np.uint64))
        return {v: int(n) for v, n in zip(values, t.tolist(), strict=True) if n >= 0}

    def allocation_stack(self, node: int) -> list[str] | None:
        """Where the object was allocated (innermost frame first), when the memory profiler sampled it."""
        bucket = int(self._column("goheap_object.bucket", [node])[0])
        if bucket < 0:
            return None
        return [f"{fn} {file}:{line}" for fn, file, line in self.conn.execute(
            "SELECT function, file, line FROM goheap_bucket_frame WHERE bucket_idx = ? ORDER BY depth", (bucket,))]

    def edge_labels(self, src: int, targets: list[int]) -> dict[int, str]:
        g = self.g
        labels: dict[int, str] = {}
        kind = g.synthetic.get(src, ("object", ""))[0] if src >= g.n_objects else "object"
        if kind in ("object", "frame", "data", "bss"):
            fields = self._pointer_fields([src]).get(src, [])
            owners = self._owners([val for _o, val in fields])
            base = int(g.ids[src]) if kind in ("data", "bss") else None
            for off, val in fields:
                t = owners.get(val)
                if t is not None and t not in labels:
                    labels[t] = (self.global_named(base + off) or f"0x{base + off:x}") if base is not None \
                        else f"+0x{off:x}"
        for t in targets:
            if t not in labels:
                tk = g.synthetic.get(t, ("object", ""))[0] if t >= g.n_objects else "object"
                labels[t] = "<frame>" if tk == "frame" else {"goroutine": "<context, defer or panic>",
                                                              "finalizers": "<kept for a finalizer>",
                                                              "finalizer queue": "<queued finalizer>"}.get(kind, "")
        return labels

    def threads(self) -> list[ThreadInfo]:
        """The goroutines, each with its frames (innermost first) and the objects each frame points to."""
        g = self.g
        frames: dict[int, list[tuple[int, int, str, int]]] = {}
        for node, gor, depth, fn, pc in self.conn.execute(
                "SELECT node, goroutine, depth, function, pc FROM goheap_frame ORDER BY goroutine, depth"):
            frames.setdefault(gor, []).append((node, depth, fn, pc))
        out = []
        for node, goid, status, reason in self.conn.execute(
                "SELECT node, goid, status, wait_reason FROM goheap_goroutine ORDER BY goid"):
            fr = []
            for fnode, depth, fn, pc in frames.get(node, []):
                held = sorted({t for t, _w in g.referents(fnode) if t < g.n_objects})
                fr.append(FrameLocals(depth, fn, f"pc 0x{_u(pc):x}", g.objs(held)))
            out.append(ThreadInfo(g.obj(node), f"goroutine {goid} [{reason or status}]", fr, []))
        return out


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs describing a Go heap dump, in display order."""
    m = dump.meta
    ms = {k.removeprefix("goheap.memstats."): v for k, v in m.items() if k.startswith("goheap.memstats.")}
    goroutines = dump.conn.execute("SELECT COUNT(*), SUM(system) FROM goheap_goroutine").fetchone()
    out: list[tuple[str, Any]] = [
        ("File", dump.path),
        ("Format", "Go heap dump (go1.7 heap dump)"),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Written by", f"{m.get('goheap.go_version', '?')} on {m.get('goheap.arch', '?')}, "
                       f"{m.get('goheap.ncpu', '?')} CPUs"),
        ("Objects", f"{m.get('summary.objects', 0):,} (memstats HeapObjects {ms.get('heap_objects', 0):,})"),
        ("Heap (shallow)", f"{m.get('summary.shallow_bytes', 0):,} bytes (memstats HeapAlloc "
                           f"{ms.get('heap_alloc', 0):,})"),
        ("Classes with instances", f"{m.get('summary.classes', 0):,} — {m.get('goheap.typed_objects', 0):,} objects "
                                   "typed by the interfaces pointing at them, "
                                   f"{m.get('goheap.sampled_objects', 0):,} by their allocation site, the rest by "
                                   "size class"),
        ("Goroutines", f"{goroutines[0] or 0:,} ({goroutines[1] or 0:,} of the runtime)"),
        ("Memory from the OS", f"{ms.get('sys', 0):,} bytes (heap {ms.get('heap_sys', 0):,}, stacks "
                               f"{ms.get('stack_sys', 0):,}, GC metadata {ms.get('gc_sys', 0):,})"),
        ("Garbage collections", f"{ms.get('num_gc', 0):,}, pauses {ms.get('pause_total_ns', 0) / 1e6:.3f} ms in all; "
                                f"next at {ms.get('next_gc', 0):,} bytes"),
        ("GC roots", f"{m.get('summary.roots', 0):,} in the dump (segments, goroutines, finalizers)"),
    ]
    if m.get("goheap.exe"):
        out.insert(7, ("Typed by the program", f"{m['goheap.exe']}: {m.get('goheap.exe_typed', 0):,} objects typed "
                                               "by its DWARF from the globals' pointers, globals named"))
    if m.get("goheap.truncated_at") is not None:
        out.insert(3, ("Truncated", f"at byte {m['goheap.truncated_at']:,}"))
    return out + graph_facts(dump, m.get("goheap.truncated_at") is not None,
                             "goroutines, stack frames and root nodes") + index_facts(dump)
