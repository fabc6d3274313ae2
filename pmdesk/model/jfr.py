"""JFR recording queries: what `jfr summary` says (chunks, time span, event types with counts and bytes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pmdesk.model.dump import Dump


def summary(dump: Dump) -> dict[str, Any]:
    """The `pmdesk events --json` document: most frequent event types first, like `jfr summary`."""
    m = dump.meta
    types = [{"name": n, "count": c, "bytes": b} for n, c, b in dump.conn.execute(
        "SELECT name, count, bytes FROM jfr_event_type ORDER BY count DESC, name")]
    return {"chunks": m.get("jfr.chunks"), "start_ns": m.get("jfr.start_ns"), "duration_ns": m.get("jfr.duration_ns"),
            "event_types": types}


def overview(dump: Dump) -> list[tuple[str, str]]:
    m = dump.meta
    start = dt.datetime.fromtimestamp(m.get("jfr.start_ns", 0) / 1e9, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    declared = dump.conn.execute("SELECT COUNT(*), SUM(count > 0) FROM jfr_event_type").fetchone()
    return [
        ("File", dump.path),
        ("Format", f"JFR {m.get('jfr.version')}, {m.get('jfr.chunks')} chunk(s)"),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Start", start),
        ("Duration", f"{m.get('jfr.duration_ns', 0) / 1e9:.3f} s"),
        ("Events", f"{m.get('summary.events', 0):,} of {declared[1] or 0} types ({declared[0]} declared)"),
        ("Index", str(dump.index_path)),
    ]
