"""The CLI commands for JFR recordings: `events` (types and counts, or the events of one type with their
fields), `hot` (hot methods and call trees from execution samples) and `findings` (the automated rules)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pmdesk.base.errors import PmdeskError

if TYPE_CHECKING:  # the JFR model is imported when a JFR command runs
    from pmdesk.model.dump import Dump
    from pmdesk.model.jfr.recording import Recording, Window

OpenDump = Callable[[argparse.Namespace], "Dump"]


def _recording(args: argparse.Namespace, open_dump: OpenDump, command: str) -> Dump:
    dump = open_dump(args)
    if dump.format != "jfr":
        dump.close()
        raise PmdeskError(args.file, f"is a {dump.format} file; '{command}' needs a JFR recording")
    return dump


def _window(args: argparse.Namespace, rec: Recording) -> Window:
    """--from/--to (seconds since the recording started) as a window of event start times."""
    if args.start is None and args.end is None:
        return None
    a = rec.start_ns + int((args.start or 0) * 1e9)
    b = rec.start_ns + int(args.end * 1e9) if args.end is not None else rec.start_ns + rec.duration_ns + 1
    return a, b


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%H:%M:%S.%f")[:-3]


def cmd_events(args: argparse.Namespace, open_dump: OpenDump) -> int:
    from pmdesk.model.jfr import events as jfr

    with _recording(args, open_dump, "events") as dump:
        if args.type:
            return _events_of_type(args, dump)
        doc = jfr.summary(dump)
        if args.json:
            print(json.dumps({"file": args.file, **doc}, indent=1))
            return 0
        print(f"{args.file}: {doc['chunks']} chunk(s), {doc['duration_ns'] / 1e9:.1f} s")
        print(f" {'Event Type':<44}{'Count':>10}{'Size (bytes)':>14}")
        for t in doc["event_types"]:
            print(f" {t['name']:<44}{t['count']:>10}{t['bytes']:>14}")
    return 0


def _events_of_type(args: argparse.Namespace, dump: Dump) -> int:
    from pmdesk.model.jfr import events as jfr
    from pmdesk.model.jfr.recording import Recording

    known = {t["name"]: t["count"] for t in jfr.summary(dump)["event_types"]}
    if args.type not in known:
        raise PmdeskError(args.file, f"has no event type {args.type!r} (see 'pmdesk events {args.file}')")
    rec = Recording.of(dump)
    window = _window(args, rec)
    rows = None if window is None else sorted(rec.events(args.type, window).row.tolist())
    count = known[args.type] if rows is None else len(rows)
    events = jfr.events(dump, args.type, limit=args.limit, rows=rows)
    if args.json:
        print(json.dumps({"file": args.file, "type": args.type, "count": count, "events": events}, indent=1))
        return 0
    shown = f"first {len(events):,} of " if len(events) < count else ""
    print(f"{args.file}: {shown}{count:,} {args.type} event(s)")
    for e in events:
        start = e.get("startTime")
        head = _when(start) if isinstance(start, int) and start > 0 else "-"
        rest = "  ".join(f"{k}={jfr.brief(v)}" for k, v in e.items() if k != "startTime")
        print(f"{head}  {rest}")
    return 0


def cmd_hot(args: argparse.Namespace, open_dump: OpenDump) -> int:
    from pmdesk.model.jfr.profile import profile
    from pmdesk.model.jfr.recording import Recording

    with _recording(args, open_dump, "hot") as dump:
        rec = Recording.of(dump)
        p = profile(rec, args.event, window=_window(args, rec))
        methods = p.hot_methods()
        if args.json:
            print(json.dumps({"file": args.file, "event": args.event, "samples": int(p.samples),
                              "methods": methods[:args.top] if args.top else methods,
                              "top_down": p.tree_json(False, args.min_share),
                              "bottom_up": p.tree_json(True, args.min_share)}, indent=1))
            return 0
        n = p.samples or 1
        print(f"{args.file}: {int(p.samples):,} {args.event} events")
        print(f"{'Self':>8} {'Self %':>7} {'Total':>8} {'Total %':>7}  Method")
        for m in methods[:args.top or 25]:
            print(f"{m['self']:>8,} {m['self'] / n:>7.1%} {m['total']:>8,} {m['total'] / n:>7.1%}  {m['method']}")
        print("\nTop-down (callers first; branches under 1 % left out):")
        _print_tree(p.tree_json(False, 0.01), n)
    return 0


def _print_tree(node: dict[str, Any], total: float, depth: int = 0) -> None:
    for child in node["children"]:
        print(f"{child['weight'] / total:>7.1%}  {'  ' * depth}{child['method']}")
        _print_tree(child, total, depth + 1)


def cmd_findings(args: argparse.Namespace, open_dump: OpenDump) -> int:
    from pmdesk.model.jfr.findings import findings
    from pmdesk.model.jfr.recording import Recording

    with _recording(args, open_dump, "findings") as dump:
        rec = Recording.of(dump)
        found = findings(rec, _window(args, rec))
        if args.json:
            print(json.dumps({"file": args.file, "findings": [f.as_json() for f in found]}, indent=1))
            return 0
        for f in found:
            print(f"{f.severity.upper():<9} {f.title}: {f.summary}")
    return 0


def _time_range(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--from", dest="start", type=float, metavar="S", help="only events starting S seconds or more "
                    "after the recording started")
    sp.add_argument("--to", dest="end", type=float, metavar="S", help="only events starting before S seconds")


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None], open_dump: OpenDump) -> None:
    sp = sub.add_parser("events", help="JFR recordings: event types with counts and bytes (like jfr summary), or "
                                       "with --type the events of one type with all their fields")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--type", metavar="NAME", help="the events of this type (e.g. jdk.GarbageCollection)")
    sp.add_argument("--limit", type=int, metavar="N", help="at most N events (with --type)")
    _time_range(sp)
    sp.set_defaults(func=lambda a: cmd_events(a, open_dump))

    sp = sub.add_parser("hot", help="JFR recordings: hot methods (self and total) and call trees")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--event", default="jdk.ExecutionSample", metavar="TYPE",
                    help="stack-carrying event to count (default jdk.ExecutionSample)")
    sp.add_argument("--top", type=int, default=0, metavar="N", help="only the N hottest methods")
    sp.add_argument("--min-share", type=float, default=0.0, metavar="F",
                    help="leave tree branches under this share of all samples out of the JSON (default 0: all)")
    _time_range(sp)
    sp.set_defaults(func=lambda a: cmd_hot(a, open_dump))

    sp = sub.add_parser("findings", help="JFR recordings: automated findings (GC, hot methods, contention, …)")
    common(sp)
    sp.add_argument("--json", action="store_true")
    _time_range(sp)
    sp.set_defaults(func=lambda a: cmd_findings(a, open_dump))
