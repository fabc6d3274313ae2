"""What a JFR recording says about garbage collection, allocation, lock contention and I/O: the tables the
GC, Allocations and Lock contention docks show and the findings rules read. Every function takes an optional
time window (event start times) so a range chosen on the timeline narrows them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pmdesk.base.java_names import java_name
from pmdesk.model.jfr.recording import Events, Recording, Window


def _names(rec: Recording, events: Events, name: str, kind: str) -> list[str]:
    """A top-level field of each event as text: class names for Class refs, thread names, strings…"""
    col = rec.field(events, name)
    if col is None:
        return ["" for _ in range(len(events))]
    if kind == "class":  # as the heap docks and JMC name them: byte[], not [B
        return [java_name(rec.class_name(int(v)).replace(".", "/")) for v in col.tolist()]
    if kind == "thread":
        return [rec.thread_name(int(v)) for v in col.tolist()]
    if kind == "string":
        return [rec.string(int(v)) or "" for v in col.tolist()]
    if kind == "simple":  # a ref to a simple pool type (GCName, GCCause, GCWhen…)
        t = rec.table(events.type_name)
        node = next(f for f in t.fields if f["name"] == name) if t is not None else None
        return ["" if v < 0 or node is None else str(rec.values.pool(node["type"], int(v)) or "")
                for v in col.tolist()]
    return [str(v) for v in col.tolist()]


def group(rec: Recording, events: Events, keys: list[str], weights: np.ndarray | None = None,
          durations: bool = False) -> list[dict[str, Any]]:
    """Events grouped by a text key per event: [{key, count, weight?, total_ns?, max_ns?, stacks}], biggest
    first. `stacks` maps each group's stack rows to their count (the blocking / allocating stacks)."""
    groups: dict[str, dict[str, Any]] = {}
    w = weights if weights is not None else None
    for i, k in enumerate(keys):
        g = groups.get(k)
        if g is None:
            g = groups[k] = {"key": k, "count": 0, "stacks": {}}
            if w is not None:
                g["weight"] = 0
            if durations:
                g["total_ns"] = 0
                g["max_ns"] = 0
        g["count"] += 1
        if w is not None:
            g["weight"] += int(w[i])
        if durations:
            d = int(events.duration_ns[i])
            g["total_ns"] += d
            g["max_ns"] = max(g["max_ns"], d)
        s = int(events.stack[i])
        g["stacks"][s] = g["stacks"].get(s, 0) + 1
    order: Callable[[dict[str, Any]], Any] = (lambda g: -g["weight"]) if w is not None else \
        (lambda g: -g["total_ns"]) if durations else (lambda g: -g["count"])
    return sorted(groups.values(), key=lambda g: (order(g), g["key"]))


def by_thread(rec: Recording, type_name: str, window: Window = None) -> dict[str, int]:
    ev = rec.events(type_name, window)
    out: dict[str, int] = {}
    for t in ev.thread.tolist():
        name = rec.thread_name(t)
        out[name] = out.get(name, 0) + 1
    return out


LOCK_EVENTS = (("jdk.JavaMonitorEnter", "monitorClass"), ("jdk.ThreadPark", "parkedClass"),
               ("jdk.JavaMonitorWait", "monitorClass"))


def lock_contention(rec: Recording, window: Window = None) -> list[dict[str, Any]]:
    """Monitor enters, parks and waits grouped by the class of the monitor / parked-on object, longest first."""
    out = []
    for type_name, field in LOCK_EVENTS:
        ev = rec.events(type_name, window)
        for g in group(rec, ev, _names(rec, ev, field, "class"), durations=True):
            out.append({"event": type_name, "class": g.pop("key"), **g})
    return sorted(out, key=lambda g: -g["total_ns"])


def allocations(rec: Recording, window: Window = None) -> dict[str, Any]:
    """Allocation by class and by top frame, from jdk.ObjectAllocationSample weights (JDK 16+), else from
    TLAB allocation events' sizes."""
    sources = (("jdk.ObjectAllocationSample", "weight"), ("jdk.ObjectAllocationInNewTLAB", "tlabSize"),
               ("jdk.ObjectAllocationOutsideTLAB", "allocationSize"))
    found = next(((t, w, ev) for t, w in sources if len(ev := rec.events(t, window))), None)
    if found is None:
        return {"event": None, "total": 0, "by_class": [], "by_frame": []}
    type_name, weight_field, ev = found
    weights = rec.field(ev, weight_field)
    weights = weights if weights is not None else np.ones(len(ev), np.int64)
    by_class = group(rec, ev, _names(rec, ev, "objectClass", "class"), weights)
    tops = rec.stacks.top(ev.stack)
    by_frame = group(rec, ev, [rec.method_names[m] if m >= 0 else "<no stack>" for m in tops.tolist()], weights)
    return {"event": type_name, "total": int(weights.sum()), "by_class": by_class, "by_frame": by_frame}


def garbage_collections(rec: Recording, window: Window = None) -> list[dict[str, Any]]:
    """One row per collection: id, collector, cause, start, duration, pauses, heap used before/after."""
    ev = rec.events("jdk.GarbageCollection", window)
    ids = rec.field(ev, "gcId")
    if ids is None:
        return []
    names = _names(rec, ev, "name", "simple")
    causes = _names(rec, ev, "cause", "simple")
    sums = rec.field(ev, "sumOfPauses")
    longest = rec.field(ev, "longestPause")
    heap = rec.events("jdk.GCHeapSummary")
    heap_ids, used = rec.field(heap, "gcId"), rec.field(heap, "heapUsed")
    when = _names(rec, heap, "when", "simple")
    before: dict[int, int] = {}
    after: dict[int, int] = {}
    if heap_ids is not None and used is not None:
        for g, u, w in zip(heap_ids.tolist(), used.tolist(), when, strict=True):
            (before if w == "Before GC" else after)[g] = u
    rows = []
    for i, g in enumerate(ids.tolist()):
        rows.append({"gc_id": g, "name": names[i], "cause": causes[i], "start_ns": int(ev.start_ns[i]),
                     "duration_ns": int(ev.duration_ns[i]),
                     "sum_of_pauses_ns": int(sums[i]) if sums is not None else None,
                     "longest_pause_ns": int(longest[i]) if longest is not None else None,
                     "heap_before": before.get(g), "heap_after": after.get(g)})
    return rows


def file_io(rec: Recording, window: Window = None) -> list[dict[str, Any]]:
    """File and socket reads/writes by path (host:port for sockets): count, bytes, time."""
    out = []
    for type_name, key_fields, amount in (("jdk.FileRead", ("path",), "bytesRead"),
                                          ("jdk.FileWrite", ("path",), "bytesWritten"),
                                          ("jdk.SocketRead", ("host", "port"), "bytesRead"),
                                          ("jdk.SocketWrite", ("host", "port"), "bytesWritten")):
        ev = rec.events(type_name, window)
        if not len(ev):
            continue
        parts = [_names(rec, ev, f, "string" if f != "port" else "int") for f in key_fields]
        keys = [":".join(p) for p in zip(*parts, strict=True)]
        amounts = rec.field(ev, amount)
        for g in group(rec, ev, keys, amounts if amounts is not None else None, durations=True):
            out.append({"event": type_name, "target": g.pop("key"), "bytes": g.pop("weight", 0), **g})
    return sorted(out, key=lambda g: -g["total_ns"])
