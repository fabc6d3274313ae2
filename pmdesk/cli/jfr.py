"""The CLI commands for JFR recordings: `events` (types and counts, or the events of one type with their
fields), `hot` (hot methods and call trees from execution samples) and `findings` (the automated rules)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pmdesk.base.errors import PmdeskError
from pmdesk.cli.command import INDEX_DIR, JSON, Arg, Command, Invocation, Output
from pmdesk.model.formats import Kind

if TYPE_CHECKING:  # the JFR model is imported when a JFR command runs
    from pmdesk.model.dump import Dump
    from pmdesk.model.jfr.recording import Recording, Window


def _window(args: argparse.Namespace, rec: Recording) -> Window:
    """--from/--to (seconds since the recording started) as a window of event start times."""
    if args.start is None and args.end is None:
        return None
    a = rec.start_ns + int((args.start or 0) * 1e9)
    b = rec.start_ns + int(args.end * 1e9) if args.end is not None else rec.start_ns + rec.duration_ns + 1
    return a, b


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%H:%M:%S.%f")[:-3]


def events(inv: Invocation) -> Output:
    from pmdesk.model.jfr import events as jfr

    args = inv.args
    dump = inv.open(args.file)
    if args.type:
        return _events_of_type(args, dump)
    doc = jfr.summary(dump)

    def text() -> Iterator[str]:
        chunks = doc["chunks"]
        yield f"{args.file}: {chunks:,} {'chunk' if chunks == 1 else 'chunks'}, {jfr.duration_text(doc['duration_ns'])}"
        yield f" {'Event Type':<44}{'Count':>12}{'Size (bytes)':>16}"
        for t in doc["event_types"]:
            yield f" {t['name']:<44}{t['count']:>12,}{t['bytes']:>16,}"

    return Output({"file": args.file, **doc}, text)


def _events_of_type(args: argparse.Namespace, dump: Dump) -> Output:
    from pmdesk.model.jfr import events as jfr
    from pmdesk.model.jfr.recording import Recording
    from pmdesk.model.jfr.values import Values

    known = {t["name"]: t["count"] for t in jfr.summary(dump)["event_types"]}
    if args.type not in known:
        raise PmdeskError(args.file, f"has no event type {args.type!r} (see 'pmdesk events {args.file}')")
    rec = Recording.of(dump)
    window = _window(args, rec)
    rows = None if window is None else sorted(rec.events(args.type, window).row.tolist())
    count = known[args.type] if rows is None else len(rows)
    values = Values(dump)  # the type's table, loaded once for its events and its units
    found = jfr.events(dump, args.type, limit=args.limit, values=values, rows=rows)

    units = jfr.field_units(values, args.type)

    def shown(k: str, v: object) -> str:
        return jfr.duration_text(v) if units.get(k) == "timespan" and isinstance(v, int) else jfr.brief(v)

    def text() -> Iterator[str]:
        first = f"first {len(found):,} of " if len(found) < count else ""
        yield f"{args.file}: {first}{count:,} {args.type} {'event' if count == 1 else 'events'}"
        for e in found:
            start = e.get("startTime")
            head = _when(start) if isinstance(start, int) and start > 0 else "-"
            rest = "  ".join(f"{k}={shown(k, v)}" for k, v in e.items() if k != "startTime")
            yield f"{head}  {rest}"

    return Output({"file": args.file, "type": args.type, "count": count, "events": found}, text)


def hot(inv: Invocation) -> Output:
    from pmdesk.model.jfr.profile import default_event, profile, weight_of
    from pmdesk.model.jfr.recording import Recording

    args = inv.args
    rec = Recording.of(inv.open(args.file))
    event = args.event or default_event(rec)
    field, unit = weight_of(event, rec)
    p = profile(rec, event, field, window=_window(args, rec))
    methods = p.hot_methods()
    doc = {"file": args.file, "event": event, "samples": int(p.samples),
           "methods": methods[:args.top] if args.top else methods,
           "top_down": p.tree_json(False, args.min_share), "bottom_up": p.tree_json(True, args.min_share),
           "unit": unit}

    def text() -> Iterator[str]:
        n = p.samples or 1
        yield f"{args.file}: {int(p.samples):,} {unit} of {event}" + (f" (weighed by {field})" if field else "")
        w = max([8, *(len(f"{m['total']:,}") for m in methods[:args.top or 25])])
        yield f"{'Self':>{w}} {'Self %':>7} {'Total':>{w}} {'Total %':>7}  Method"
        for m in methods[:args.top or 25]:
            yield f"{m['self']:>{w},} {m['self'] / n:>7.1%} {m['total']:>{w},} {m['total'] / n:>7.1%}  {m['method']}"
        yield "\nTop-down (callers first; branches under 1 % left out):"
        yield from _tree_lines(p.tree_json(False, 0.01), n)

    return Output(doc, text)


def _tree_lines(node: dict[str, Any], total: float, depth: int = 0) -> Iterator[str]:
    for child in node["children"]:
        yield f"{child['weight'] / total:>7.1%}  {'  ' * depth}{child['method']}"
        yield from _tree_lines(child, total, depth + 1)


def findings(inv: Invocation) -> Output:
    from pmdesk.model.jfr.findings import findings as rules
    from pmdesk.model.jfr.recording import Recording

    args = inv.args
    rec = Recording.of(inv.open(args.file))
    found = rules(rec, _window(args, rec))
    return Output({"file": args.file, "findings": [f.as_json() for f in found]},
                  lambda: (f"{f.severity.upper():<9} {f.title}: {f.summary}" for f in found))


REC = Arg.of("file", metavar="REC", help="a .jfr recording, or a JFR repository directory (the chunk files a JVM "
             "wrote before it died)")
TIME_RANGE = (
    Arg.of("--from", dest="start", type=float, metavar="S", help="only events starting S seconds or more after the "
           "recording started"),
    Arg.of("--to", dest="end", type=float, metavar="S", help="only events starting before S seconds"),
)
EVENTS = (Kind.EVENTS,)
COMMANDS = (
    Command("events", "JFR recordings: event types with counts and bytes (like jfr summary), or with --type the "
            "events of one type with all their fields", events, (
                REC, INDEX_DIR, JSON,
                Arg.of("--type", metavar="NAME", help="the events of this type (e.g. jdk.GarbageCollection)"),
                Arg.of("--limit", type=int, metavar="N", help="at most N events (with --type; default: all)"),
                *TIME_RANGE), EVENTS, summary="JFR: event types, counts and bytes (like jfr summary); with --type "
                                              "the events of a type, all fields"),
    Command("hot", "JFR recordings: hot methods (self and total) and call trees", hot, (
        REC, INDEX_DIR, JSON,
        Arg.of("--event", default=None, metavar="TYPE",
               help="stack-carrying event to count (default jdk.ExecutionSample; async-profiler's "
                    "profiler.WallClockSample when the recording has no execution samples)"),
        Arg.of("--top", type=int, default=0, metavar="N", help="only the N hottest methods (default: all)"),
        Arg.of("--min-share", type=float, default=0.0, metavar="F",
               help="leave tree branches under this share of all samples out of the JSON (default 0: all)"),
        *TIME_RANGE), EVENTS, summary="JFR: hot methods (self and total), call trees"),
    Command("findings", "JFR recordings: automated findings (GC, hot methods, contention, …)", findings,
            (REC, INDEX_DIR, JSON, *TIME_RANGE), EVENTS, summary="JFR: automated findings (GC, contention, hot "
                                                                  "methods, …)"),
)
