"""CLI commands for profiles (the samples kind): `pmdesk profile FILE` — functions by self and total weight,
or the folded stacks — and `pmdesk profile-diff A B`, two profiles of any formats compared by function and by
stack (difffolded.pl's form)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pmdesk.cli.command import FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, top
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump
    from pmdesk.model.samples.profile import Profile, Selection

FOLDED = Arg.of("--folded", action="store_true", help="print folded stacks (frames root first joined by ';', a "
                "space, the weight)")
SELECT_ARGS = (
    Arg.of("--type", metavar="TYPE", help="the sample type to weigh by (pprof's -sample_index: cpu, alloc_space …; "
           "default: the profile's own)"),
    Arg.of("--event", metavar="E", help="only this event's samples (default: the first event)"),
    Arg.of("--thread", metavar="T", help="only this thread (tid or name)"),
    Arg.of("--from", dest="from_s", type=float, metavar="S", help="only samples S seconds or more after the first"),
    Arg.of("--to", dest="to_s", type=float, metavar="S", help="only samples up to S seconds after the first"),
    Arg.of("--focus", metavar="RE", help="only stacks with a frame matching RE (pprof -focus)"),
    Arg.of("--ignore", metavar="RE", help="no stacks with a frame matching RE (pprof -ignore)"),
    Arg.of("--show", metavar="RE", help="only frames matching RE (pprof -show)"),
    Arg.of("--hide", metavar="RE", help="no frames matching RE (pprof -hide)"),
    Arg.of("--tag", metavar="KEY=RE", help="only samples with a label KEY whose value matches RE (pprof "
           "-tagfocus; pprof labels)"),
)


SYMBOL_ARGS = (
    Arg.of("--symbols", action="append", metavar="DIR", help="also look for the recording's binaries in DIR "
           "(by name and build-id; perf.data; repeatable)"),
    Arg.of("--debug-dir", action="append", metavar="DIR", help="also look for debug files in DIR (its "
           ".build-id tree, or by name; perf.data; repeatable)"),
)


def _selection(args: Any) -> Selection:
    from pmdesk.model.samples.profile import Selection

    return Selection(args.type, args.event, args.thread, args.from_s, args.to_s, args.focus, args.ignore,
                     args.show, args.hide, args.tag)


def _open(inv: Invocation, path: str) -> Dump:
    """The profile, indexed as usual — or, with --symbols/--debug-dir, read again into a temporary index with
    those folders searched too (as `stack` reads a core again), the usual index left as it is."""
    args = inv.args
    symbols, debug = getattr(args, "symbols", None) or [], getattr(args, "debug_dir", None) or []
    if not symbols and not debug:
        return inv.open(path)
    import dataclasses
    import functools
    import tempfile

    from pmdesk.base.errors import PmdeskError
    from pmdesk.cli.command import check_paths
    from pmdesk.model.dump import Dump
    from pmdesk.native.symbol_files import SearchPaths

    check_paths(args)
    fmt = inv.check_kind(path)
    if not fmt.reader.SPEC.symbol_paths:
        raise PmdeskError(path, "is not a perf.data recording: --symbols and --debug-dir name where its binaries "
                          "are, and only perf.data recordings are named from binaries")
    paths = SearchPaths(search_dirs=symbols, debug_dirs=debug)
    reader = type("PerfWithPaths", (), {"SPEC": fmt.reader.SPEC, "sniff": staticmethod(fmt.reader.sniff),
                                        "read": staticmethod(functools.partial(fmt.reader.read, paths=paths))})
    folder = inv.enter_context(tempfile.TemporaryDirectory(prefix="pmdesk-symbols-"))
    return inv.enter_context(Dump.open(path, index_dir=folder, fmt=dataclasses.replace(fmt, reader=reader)))


def _select(inv: Invocation, path: str) -> Profile:
    from pmdesk.model.samples import profile as model

    return model.select(model.load(_open(inv, path)), _selection(inv.args))


def _summary(prof: Profile, path: str) -> dict[str, Any]:
    from pmdesk.model.samples.profile import num

    s = prof.samples
    return {"file": path, "source": s.meta.get("samples.source"), "type": prof.type, "unit": prof.unit,
            "total": num(prof.total), "samples": prof.count,
            "types": [{"type": t, "unit": u} for t, u in s.types], "events": s.events}


def profile(inv: Invocation) -> Output:
    args = inv.args
    prof = _select(inv, args.file)
    if args.folded:
        return _folded_output(prof.folded())
    funcs = prof.functions()
    shown = funcs[:args.top] if args.top else funcs
    doc = {**_summary(prof, args.file), "functions": shown}

    def text() -> Iterator[str]:
        yield f"{doc['samples']:,} samples; {prof.type} total {_fmt(prof.total)} {prof.unit}"
        yield f"{'self':>14} {'self%':>7} {'total':>14} {'total%':>7}  function"
        whole = prof.total or 1.0
        for f in shown:
            mod = f"  [{f['module']}]" if f["module"] else ""
            yield (f"{_fmt(f['self']):>14} {f['self'] / whole:>7.2%} {_fmt(f['total']):>14} "
                   f"{f['total'] / whole:>7.2%}  {f['function']}{mod}")

    return Output(doc, text)


def profile_diff(inv: Invocation) -> Output:
    from pmdesk.model.samples.diff import diff

    args = inv.args
    a, b = _select(inv, args.a), _select(inv, args.b)
    d = diff(a, b, args.normalize)
    if args.folded:
        lines = [f"{';'.join(frames)} {_fmt(wa)} {_fmt(wb)}" for frames, wa, wb in d.folded()]
        return Output(None, lambda: lines)
    funcs = d.functions()
    shown = funcs[:args.top] if args.top else funcs
    doc = {"a": _summary(a, args.a), "b": _summary(b, args.b), "normalized": bool(args.normalize),
           "scale": d.scale, "functions": shown}

    def text() -> Iterator[str]:
        yield f"A {args.a}: {_fmt(a.total)} {a.unit}; B {args.b}: {_fmt(b.total)} {b.unit}" + (
            f"; A scaled by {d.scale:.4g}" if args.normalize else "")
        yield f"{'self A':>14} {'self B':>14} {'delta':>14}  function"
        for f in shown:
            yield f"{_fmt(f['a_self']):>14} {_fmt(f['b_self']):>14} {f['delta_self']:>+14,}  {f['function']}"

    return Output(doc, text)


def annotate(inv: Invocation) -> Output:
    from pmdesk.model.samples import profile as model
    from pmdesk.model.samples.annotate import annotate as annotate_function

    args = inv.args
    a = annotate_function(model.load(_open(inv, args.file)), args.function, args.module, _selection(args))
    doc = a.as_json()

    def text() -> Iterator[str]:
        where = f" in {a.binary}" if a.binary else ""
        yield f"{a.function}{where}: {_fmt(a.total)} {a.unit}" + (f" — {a.problem}" if a.problem else "")
        for i in doc["instructions"]:
            src = f"  {i['source']}" if i["source"] else ""
            yield f"{i['percent']:>8.2f} : {i['address']:>8x}:   {i['text']}{src}"

    return Output(doc, text)


def allocations(inv: Invocation) -> Output:
    from pmdesk.model.samples import allocations as model
    from pmdesk.model.samples.profile import load

    args = inv.args
    new = load(inv.open(args.file))
    diff = args.compare is not None
    stats = model.compare(new, load(inv.open(args.compare)), args.by, args.cumulative) if diff else \
        model.statistics(new, args.by, args.cumulative)
    shown = stats[:args.top] if args.top else stats
    doc = {"file": args.file, "compared_to": args.compare, "key_type": args.by, "cumulative": args.cumulative,
           "traces": new.meta.get("tracemalloc.traces"), "size_bytes": new.meta.get("tracemalloc.bytes"),
           "statistics": [x.as_json(diff) for x in shown]}
    return Output(doc, lambda: (x.text(diff) for x in shown))


def heapy(inv: Invocation) -> Output:
    from pmdesk.model.samples import heapy as model
    from pmdesk.model.samples.profile import load

    args = inv.args
    samples = load(inv.open(args.file))
    listed = model.entries(samples)
    e = model.pick(samples, args.entry)
    if args.minus is not None:
        e = model.difference(e, model.pick(samples, args.minus))
    top = args.top or None
    doc = {"file": args.file, "entries": [{"entry": x.label, "format": x.layout, "time": x.time, "count": x.count,
                                           "size_bytes": x.size_bytes} for x in listed], **e.as_json()}

    def text() -> Iterator[str]:
        if args.list:
            for x in listed:
                yield f"{x.label}: {x.layout}, {x.when()}, {x.count:,} objects, {x.size_bytes:,} bytes"
            return
        yield from model.text(e, top)

    return Output(doc, text)


def _folded_output(rows: list[tuple[list[str], float]]) -> Output:
    lines = [f"{';'.join(frames)} {_fmt(w)}" for frames, w in rows]
    return Output(None, lambda: lines)


def _fmt(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:.6g}"


COMMANDS = (
    Command("profile", "a profile (perf script, folded stacks, bpftrace, offcputime, pprof): functions by self and "
            "total weight, or its folded stacks", profile,
            (FILE, INDEX_DIR, JSON, FOLDED, top(30, "functions"), *SELECT_ARGS, *SYMBOL_ARGS), (Kind.SAMPLES,),
            summary="profiles: functions by self/total, folded stacks"),
    Command("profile-diff", "two profiles of any formats compared: functions by change, or the stacks with A's and "
            "B's weights (difffolded.pl's form)", profile_diff,
            (Arg.of("a", metavar="A", help="the first profile (before)"),
             Arg.of("b", metavar="B", help="the second profile (after)"), INDEX_DIR, JSON, FOLDED,
             Arg.of("--normalize", action="store_true", help="scale A's weights to B's total (difffolded.pl -n)"),
             top(30, "functions"), *SELECT_ARGS), (Kind.SAMPLES,),
            summary="two profiles compared: functions by change, folded A/B"),
    Command("annotate", "a function's instructions with the share of its samples taken at each (perf annotate), "
            "from the binary the recording names", annotate,
            (FILE, Arg.of("function", metavar="FUNCTION", help="the function, as the profile names it"),
             Arg.of("--module", metavar="M", help="its module, when two have the function"), INDEX_DIR, JSON,
             *SELECT_ARGS, *SYMBOL_ARGS), (Kind.SAMPLES,),
            summary="a hot function's instructions by samples (perf.data)"),
    Command("allocations", "tracemalloc snapshots: memory still allocated by line, file or traceback (as "
            "Snapshot.statistics prints it), or what changed since an older snapshot (compare_to)", allocations,
            (FILE, Arg.of("--by", choices=("lineno", "filename", "traceback"), default="lineno",
                          help="group by the most recent frame's line or file, or by the whole traceback "
                          "(tracemalloc's key_type; default lineno)"),
             Arg.of("--cumulative", action="store_true", help="count every frame of a traceback, not only the most "
                    "recent (lineno and filename)"),
             Arg.of("--compare", metavar="OLD", help="the older snapshot to compare with (compare_to)"),
             INDEX_DIR, JSON, top(10, "statistics")), (Kind.SAMPLES,),
            summary="tracemalloc: statistics by line/file/traceback, compare_to"),
    Command("heapy", "guppy3/heapy stat dumps: an entry's partition of the heap by kind, as heapy prints it, or "
            "the difference of two entries (heapy's a - b)", heapy,
            (FILE, Arg.of("--entry", type=int, metavar="N", help="the entry (1 is the first, -1 the last; default "
                          "the last)"),
             Arg.of("--minus", type=int, metavar="M", help="print entry N less entry M (what grew since M)"),
             Arg.of("--list", action="store_true", help="list the entries: format, when, objects, bytes"),
             INDEX_DIR, JSON, top(10, "rows")), (Kind.SAMPLES,),
            summary="heapy: a stat entry by kind, or two entries' difference"),
)
