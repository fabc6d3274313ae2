"""Automated findings on a JFR recording, in the spirit of JDK Mission Control's rules: each rule looks at
one aspect (GC pauses, hot methods, contention, exceptions, allocation, I/O, threads, heap trend, CPU,
safepoints, code cache, deoptimization…) and says how bad it is, in words, with the numbers behind it.
Rules without the events they need say so (severity "n/a") instead of guessing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pmdesk.base.words import plural
from pmdesk.model.jfr import insights
from pmdesk.model.jfr.profile import profile
from pmdesk.model.jfr.recording import Recording, Window

SEVERITIES = ("critical", "warning", "info", "ok", "n/a")
MB = 1 << 20


@dataclass
class Finding:
    rule: str
    title: str
    severity: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _grade(value: float, warn: float, critical: float, info: float | None = None) -> str:
    if value >= critical:
        return "critical"
    if value >= warn:
        return "warning"
    if info is not None and value >= info:
        return "info"
    return "ok"


def _span_s(rec: Recording, window: Window) -> float:
    if window is not None:
        return max((window[1] - window[0]) / 1e9, 1e-9)
    return max(rec.duration_ns / 1e9, 1e-9)


def _missing(rule: str, title: str, what: str) -> Finding:
    return Finding(rule, title, "n/a", f"The recording has no {what} events.")


def gc_pause_ratio(rec: Recording, window: Window) -> Finding:
    title = "GC pause ratio"
    ev = rec.events("jdk.GCPhasePause", window)
    if not len(ev):
        return _missing("gc_pause_ratio", title, "jdk.GCPhasePause")
    paused = int(ev.duration_ns.sum())
    ratio = paused / 1e9 / _span_s(rec, window)
    return Finding("gc_pause_ratio", title, _grade(ratio, 0.05, 0.15, 0.02),
                   f"The application was paused for GC {ratio:.1%} of the time ({paused / 1e6:,.0f} ms in "
                   f"{len(ev):,} pauses).", {"pause_ns": paused, "pauses": len(ev), "ratio": ratio})


def long_gc_pauses(rec: Recording, window: Window) -> Finding:
    title = "Longest GC pause"
    ev = rec.events("jdk.GCPhasePause", window)
    if not len(ev):
        return _missing("long_gc_pauses", title, "jdk.GCPhasePause")
    i = int(np.argmax(ev.duration_ns))
    longest = int(ev.duration_ns[i])
    return Finding("long_gc_pauses", title, _grade(longest / 1e6, 200, 1000, 50),
                   f"The longest GC pause took {longest / 1e6:,.1f} ms.",
                   {"longest_ns": longest, "at_ns": int(ev.start_ns[i])})


def hot_method_concentration(rec: Recording, window: Window) -> Finding:
    title = "Hot method concentration"
    p = profile(rec, window=window)
    hot = p.hot_methods()
    if not p.samples or not hot:
        return _missing("hot_methods", title, "jdk.ExecutionSample")
    top = hot[0]
    share = top["self"] / p.samples
    return Finding("hot_methods", title, "warning" if share >= 0.5 else "info" if share >= 0.2 else "ok",
                   f"{top['method']} is on top of the stack in {share:.0%} of {int(p.samples):,} CPU samples: "
                   "the first place to optimise.", {"method": top["method"], "share": share,
                                                   "samples": int(p.samples), "top": hot[:5]})


def _lock_rule(rule: str, title: str, type_name: str, rec: Recording, window: Window) -> Finding:
    groups = [g for g in insights.lock_contention(rec, window) if g["event"] == type_name]
    if not groups:
        return _missing(rule, title, type_name)
    g = groups[0]
    ratio = g["total_ns"] / 1e9 / _span_s(rec, window)
    return Finding(rule, title, _grade(ratio, 0.1, 1.0, 0.01),
                   f"Threads waited {g['total_ns'] / 1e6:,.0f} ms in {g['count']:,} {type_name} events on "
                   f"{g['class']} (longest {g['max_ns'] / 1e6:,.1f} ms).",
                   {"class": g["class"], "count": g["count"], "total_ns": g["total_ns"], "max_ns": g["max_ns"]})


def contended_monitors(rec: Recording, window: Window) -> Finding:
    return _lock_rule("contended_monitors", "Contended monitors", "jdk.JavaMonitorEnter", rec, window)


def contended_locks(rec: Recording, window: Window) -> Finding:
    return _lock_rule("contended_locks", "Parked on locks", "jdk.ThreadPark", rec, window)


def exception_rate(rec: Recording, window: Window) -> Finding:
    title = "Exception rate"
    stats = rec.events("jdk.ExceptionStatistics", window)
    counts = rec.field(stats, "throwables")
    if counts is None or len(counts) < 2:
        thrown = len(rec.events("jdk.JavaExceptionThrow", window)) + len(rec.events("jdk.JavaErrorThrow", window))
        if not thrown:
            return _missing("exception_rate", title, "jdk.ExceptionStatistics or exception throw")
        rate = thrown / _span_s(rec, window)
    else:
        order = np.argsort(stats.start_ns)
        c, t = counts[order], stats.start_ns[order]
        rate = (int(c[-1]) - int(c[0])) / max((int(t[-1]) - int(t[0])) / 1e9, 1e-9)
    return Finding("exception_rate", title, _grade(rate, 1000, 10000, 100),
                   f"{rate:,.0f} throwables created per second.", {"per_second": rate})


def allocation_rate(rec: Recording, window: Window) -> Finding:
    title = "Allocation rate"
    a = insights.allocations(rec, window)
    if not a["event"]:
        return _missing("allocation_rate", title, "allocation sample")
    rate = a["total"] / _span_s(rec, window)
    top = a["by_class"][0]["key"] if a["by_class"] else "?"
    return Finding("allocation_rate", title, _grade(rate / MB, 1024, 4096, 256),
                   f"About {rate / MB:,.0f} MB/s allocated (estimated from {a['event']}); most by {top}.",
                   {"bytes_per_second": rate, "top_class": top, "event": a["event"]})


def file_io(rec: Recording, window: Window) -> Finding:
    title = "File and socket I/O"
    rows = insights.file_io(rec, window)
    if not rows:
        return _missing("file_io", title, "file or socket I/O")
    total = sum(max(r["bytes"], 0) for r in rows)
    slowest = max(rows, key=lambda r: r["max_ns"])
    rate = total / _span_s(rec, window)
    sev = _grade(max(rate / (50 * MB), slowest["max_ns"] / 1e9), 1, 5, 0.2)
    return Finding("file_io", title, sev,
                   f"{total / MB:,.0f} MB moved ({rate / MB:,.1f} MB/s); slowest single operation "
                   f"{slowest['max_ns'] / 1e6:,.1f} ms on {slowest['target']}.",
                   {"bytes": total, "bytes_per_second": rate, "slowest": slowest["target"],
                    "slowest_ns": slowest["max_ns"]})


def thread_growth(rec: Recording, window: Window) -> Finding:
    title = "Thread count growth"
    ev = rec.events("jdk.JavaThreadStatistics", window)
    active = rec.field(ev, "activeCount")
    if active is None or not len(active):
        return _missing("thread_growth", title, "jdk.JavaThreadStatistics")
    order = np.argsort(ev.start_ns)
    first, last, peak = int(active[order][0]), int(active[order][-1]), int(active.max())
    growth = last - first
    sev = "warning" if growth > 20 and growth > first * 0.5 else "info" if growth > 0 else "ok"
    return Finding("thread_growth", title, sev, f"Live threads went from {first} to {last} (peak {peak}).",
                   {"first": first, "last": last, "peak": peak})


def heap_after_gc(rec: Recording, window: Window) -> Finding:
    title = "Heap after GC"
    gcs = [g for g in insights.garbage_collections(rec, window) if g["heap_after"] is not None]
    heap = rec.events("jdk.GCHeapSummary", window)
    if len(gcs) < 3:
        return Finding("heap_after_gc", title, "n/a", "Fewer than 3 collections with a heap summary: no trend.")
    gcs.sort(key=lambda g: g["start_ns"])
    t = np.array([g["start_ns"] for g in gcs], float) / 1e9
    used = np.array([g["heap_after"] for g in gcs], float)
    slope = float(np.polyfit(t - t[0], used, 1)[0]) if np.ptp(t) > 0 else 0.0
    t_h = rec.table("jdk.GCHeapSummary")
    reserved = None
    if t_h is not None and len(heap):
        space = next((f for f in t_h.fields if f["name"] == "heapSpace"), None)
        sub = {f["name"]: f["slot"] for f in space["fields"]} if space and space["kind"] == "struct" else {}
        if "reservedSize" in sub:
            reserved = int(t_h.matrix[heap.row, sub["reservedSize"]].max())
    fill = used[-1] / reserved if reserved else 0.0
    sev = "critical" if fill > 0.9 and slope > 0 else "warning" if slope > 1 * MB and fill > 0.5 else \
        "info" if slope > 1 * MB else "ok"
    return Finding("heap_after_gc", title, sev,
                   f"Live heap after GC changes by {slope / MB:+,.1f} MB/s; last {used[-1] / MB:,.0f} MB"
                   + (f" of {reserved / MB:,.0f} MB max ({fill:.0%})." if reserved else "."),
                   {"slope_bytes_per_s": slope, "last_after_gc": int(used[-1]), "max_heap": reserved})


def cpu_load(rec: Recording, window: Window) -> Finding:
    title = "CPU load"
    ev = rec.events("jdk.CPULoad", window)
    machine = rec.field(ev, "machineTotal")
    if machine is None or not len(machine):
        return _missing("cpu_load", title, "jdk.CPULoad")
    t = rec.table("jdk.CPULoad")
    node = {f["name"]: f for f in t.fields} if t is not None else {}
    m = np.array([rec.values.scalar(node["machineTotal"], int(v)) for v in machine.tolist()])
    jvm = np.array([rec.values.scalar(node["jvmUser"], int(u)) + rec.values.scalar(node["jvmSystem"], int(s))
                    for u, s in zip(rec.field(ev, "jvmUser").tolist(), rec.field(ev, "jvmSystem").tolist(),
                                    strict=True)])
    peak = float(m.max())
    return Finding("cpu_load", title, _grade(peak, 0.9, 0.98, 0.7),
                   f"Machine CPU peaked at {peak:.0%} (JVM {float(jvm.max()):.0%}); averages "
                   f"{float(m.mean()):.0%} / {float(jvm.mean()):.0%}.",
                   {"machine_peak": peak, "jvm_peak": float(jvm.max()), "machine_mean": float(m.mean())})


def safepoints(rec: Recording, window: Window) -> Finding:
    title = "Safepoints and VM operations"
    ev = rec.events("jdk.ExecuteVMOperation", window)
    if not len(ev):
        ev = rec.events("jdk.SafepointBegin", window)
    if not len(ev):
        return _missing("safepoints", title, "jdk.ExecuteVMOperation")
    longest = int(ev.duration_ns.max())
    return Finding("safepoints", title, _grade(longest / 1e6, 100, 1000, 20),
                   f"{len(ev):,} VM operations; the longest took {longest / 1e6:,.1f} ms.",
                   {"count": len(ev), "longest_ns": longest, "total_ns": int(ev.duration_ns.sum())})


def code_cache(rec: Recording, window: Window) -> Finding:
    full = len(rec.events("jdk.CodeCacheFull", window))
    sweeps = len(rec.events("jdk.CodeSweeperStatistics", window))
    if full:
        return Finding("code_cache", "Code cache", "critical",
                       f"The code cache filled up {plural(full, 'time')}: the JIT stopped compiling.", {"full": full})
    return Finding("code_cache", "Code cache", "ok", "The code cache never filled up.", {"sweeper_stats": sweeps})


def deoptimization(rec: Recording, window: Window) -> Finding:
    title = "Deoptimization"
    ev = rec.events("jdk.Deoptimization", window)
    if not len(ev) and not rec.dump.conn.execute(
            "SELECT 1 FROM jfr_event_type WHERE name = 'jdk.Deoptimization'").fetchone():
        return _missing("deoptimization", title, "jdk.Deoptimization")
    rate = len(ev) / _span_s(rec, window)
    return Finding("deoptimization", title, _grade(rate, 10, 100, 1),
                   f"{len(ev):,} deoptimizations ({rate:,.1f}/s).", {"count": len(ev), "per_second": rate})


def long_compilations(rec: Recording, window: Window) -> Finding:
    title = "JIT compilation"
    ev = rec.events("jdk.Compilation", window)
    if not len(ev):
        return _missing("compilation", title, "jdk.Compilation")
    longest = int(ev.duration_ns.max())
    return Finding("compilation", title, _grade(longest / 1e6, 1000, 5000, 200),
                   f"{plural(len(ev), 'compilation')} recorded; the longest took {longest / 1e6:,.0f} ms.",
                   {"count": len(ev), "longest_ns": longest})


RULES: tuple[Callable[[Recording, Window], Finding], ...] = (
    gc_pause_ratio, long_gc_pauses, hot_method_concentration, contended_monitors, contended_locks,
    exception_rate, allocation_rate, file_io, thread_growth, heap_after_gc, cpu_load, safepoints, code_cache,
    deoptimization, long_compilations)


def findings(rec: Recording, window: Window = None) -> list[Finding]:
    """Every rule's finding, worst first."""
    out = [rule(rec, window) for rule in RULES]
    return sorted(out, key=lambda f: SEVERITIES.index(f.severity))
