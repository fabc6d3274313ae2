"""JFR recording queries: what `jfr summary` says (chunks, time span, event types with counts and bytes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pmdesk.base.words import plural
from pmdesk.model.dump import Dump
from pmdesk.model.jfr.values import Values


def summary(dump: Dump) -> dict[str, Any]:
    """The `pmdesk events --json` document: most frequent event types first, like `jfr summary`."""
    m = dump.meta
    types = [{"name": n, "count": c, "bytes": b} for n, c, b in dump.conn.execute(
        "SELECT name, count, bytes FROM jfr_event_type ORDER BY count DESC, name")]
    return {"chunks": m.get("jfr.chunks"), "start_ns": m.get("jfr.start_ns"), "duration_ns": m.get("jfr.duration_ns"),
            "event_types": types}


def status_line(dump: Dump) -> str:
    """What the status line says once a recording is open."""
    m = dump.meta
    return f"{plural(m.get('summary.events', 0), 'event')} in {plural(m.get('jfr.chunks', 0), 'chunk')}"


def overview(dump: Dump) -> list[tuple[str, str]]:
    m = dump.meta
    start = dt.datetime.fromtimestamp(m.get("jfr.start_ns", 0) / 1e9, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    declared = dump.conn.execute("SELECT COUNT(*), SUM(count > 0) FROM jfr_event_type").fetchone()
    return [
        ("File", dump.path),
        ("Format", f"JFR {m.get('jfr.version')}, {plural(m.get('jfr.chunks', 0), 'chunk')}"),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Start", start),
        ("Duration", f"{m.get('jfr.duration_ns', 0) / 1e9:.3f} s"),
        ("Events", f"{m.get('summary.events', 0):,} of {declared[1] or 0} types ({declared[0]} declared)"),
        ("Index", str(dump.index_path)),
    ]


def events(dump: Dump, type_name: str, limit: int | None = None, offset: int = 0,
           values: Values | None = None, rows: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """The events of one type in file order (or those value-table `rows`), each as its fields (references
    resolved, times in ns)."""
    values = values or Values(dump)
    table = values.table(type_name)
    if table is None:
        return []
    chosen = range(len(table.matrix)) if rows is None else rows
    end = len(chosen) if limit is None else min(len(chosen), offset + limit)
    return [values.row(table, int(r)) for r in chosen[offset:end]]


def field_units(values: Values, type_name: str) -> dict[str, str]:
    """Top-level fields of an event type that carry a unit: {'duration': 'timespan', 'startTime': 'timestamp'}."""
    table = values.table(type_name)
    return {f["name"]: f["unit"] for f in (table.fields if table is not None else []) if f.get("unit")}


def duration_text(ns: int) -> str:
    """A time span as people read it: '850 ns', '13.5 µs', '13.5 ms', '2.25 s'."""
    if abs(ns) < 1_000:
        return f"{ns} ns"
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if abs(ns) >= scale:
            v = ns / scale
            return f"{v:,.2f} {unit}" if v < 10 else f"{v:,.1f} {unit}"
    return f"{ns} ns"


def brief(value: Any) -> str:
    """A value in a few words, for tables and text reports: a thread by its name, a stack trace by its top
    frame, a class or method by its name, times as they are (ns)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if "frames" in value:
            frames = value["frames"] or []
            return f"{method_text(frames[0]['method'])} line {frames[0].get('lineNumber')}" if frames else "(empty)"
        if "javaName" in value or "osName" in value:
            return value.get("javaName") or value.get("osName") or ""
        if "descriptor" in value and "type" in value:
            return method_text(value)
        if "name" in value and ("classLoader" in value or "package" in value):
            return str(value["name"]).replace("/", ".")
        if "name" in value and len(value) <= 3:
            return str(value["name"])
        return ", ".join(f"{k}={brief(v)}" for k, v in value.items())
    if isinstance(value, list):
        return f"[{len(value)}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def method_text(method: dict[str, Any] | None) -> str:
    if not method:
        return "?"
    owner = (method.get("type") or {}).get("name") or "?"
    return f"{owner.replace('/', '.')}.{method.get('name')}"
