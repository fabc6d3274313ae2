"""CLI commands for heap dumps (the heap-graph kind): histogram, biggest, dominators, object, paths, suspects,
strings and diff. Each opens the dump with its object graph built (once, into the index)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pmdesk.base.errors import PmdeskError
from pmdesk.cli.command import EXE, FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, top
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.model.heap.graph import HeapGraph, HeapObject

HISTOGRAM_SORTS = ("count", "retained", "shallow")  # model.heap.histogram.SORT_KEYS (not imported to build the parser)
ID = Arg.of("id", help="object id (0x… as shown, or decimal)")


def _graph(inv: Invocation, path: str) -> HeapGraph:
    from pmdesk.model.heap.graph import heap_graph

    return heap_graph(inv.open(path, graph=True))


def _node(path: str, g: HeapGraph, text: str) -> int:
    from pmdesk.model.heap.graph import format_id, parse_id

    try:
        obj_id = parse_id(text)
    except ValueError:
        raise PmdeskError(path, f"'{text}' is not an object id (use 0x… as shown, or a decimal number)") from None
    node = g.node_of(obj_id)
    if node is None:
        raise PmdeskError(path, f"no object with id {format_id(obj_id)} in this dump")
    return node


def _object_lines(g: HeapGraph, objs: list[HeapObject]) -> Iterator[str]:
    heap_bytes = max(g.heap_bytes, 1)
    yield f" {'retained':>14} {'%':>6} {'shallow':>12}  object"
    for o in objs:
        share = o.retained_bytes / heap_bytes
        yield f" {o.retained_bytes:>14,} {share:>6.1%} {o.shallow_bytes:>12,}  {g.label(o.node)}"


def histogram(inv: Invocation) -> Output:
    from pmdesk.model.heap import histogram as heap

    args = inv.args
    if args.filter:
        try:
            re.compile(args.filter)
        except re.error as e:
            raise PmdeskError(None, f"pmdesk: --filter: invalid regular expression: {e}") from None
    dump = inv.open(args.file, graph=True)
    rows = heap.histogram(dump, sort=args.sort, pattern=args.filter, top=args.top)
    m = dump.meta
    doc = {"file": args.file, "format": dump.format, "objects": m.get("summary.objects"),
           "shallow_bytes": m.get("summary.shallow_bytes"),
           "classes": [{"name": r.name, "count": r.count, "shallow_bytes": r.shallow_bytes,
                        "retained_bytes": r.retained_bytes} for r in rows]}

    def text() -> Iterator[str]:
        yield f" {'num':>5} {'#instances':>12} {'#bytes':>14} {'retained':>14}  class name"
        yield "-" * 78
        for i, r in enumerate(rows, 1):
            ret = f"{r.retained_bytes:,}" if r.retained_bytes is not None else ""
            yield f" {i:>4}: {r.count:>12,} {r.shallow_bytes:>14,} {ret:>14}  {r.name}"
        yield f"Total  {m.get('summary.objects', 0):>12,} {m.get('summary.shallow_bytes', 0):>14,}"

    return Output(doc, text)


def biggest(inv: Invocation) -> Output:
    g = _graph(inv, inv.args.file)
    objs = g.biggest(inv.args.top)
    return Output({"file": inv.args.file, "objects": [o.as_json() for o in objs]}, lambda: _object_lines(g, objs))


def dominators(inv: Invocation) -> Output:
    from pmdesk.model.heap.graph import ROOT

    args = inv.args
    g = _graph(inv, args.file)
    if args.class_name:
        from pmdesk.cli.heap_classes import immediate_dominators

        if args.of:
            raise PmdeskError(None, "dominators: --of and --class are two questions: give one")
        return immediate_dominators(inv, g)
    node = _node(args.file, g, args.of) if args.of else ROOT
    objs = g.dominated(node, args.top)

    def text() -> Iterator[str]:
        yield (f"dominated by {g.label(node) if node != ROOT else 'the GC roots'} "
               f"({g.child_count(node):,} objects):")
        yield from _object_lines(g, objs)

    return Output({"file": args.file, "of": g.obj(node).id if node != ROOT else None,
                   "objects": [o.as_json() for o in objs]}, text)


def show_object(inv: Invocation) -> Output:
    args = inv.args
    g = _graph(inv, args.file)
    d = g.object_reader().details(_node(args.file, g, args.id))

    def text() -> Iterator[str]:
        yield d.label
        yield (f"  kind {d.kind}; shallow {d.obj.shallow_bytes:,} B; retained {d.obj.retained_bytes:,} B; "
               f"{d.reachability}" + (f"; GC root: {', '.join(d.gc_roots)}" if d.gc_roots else ""))
        if d.dominator:
            yield f"  dominated by {g.label(d.dominator.node)}"
        if d.text is not None:
            yield f"  value: {d.text!r}"
        if d.length is not None:
            yield f"  length {d.length:,}"
        if d.allocation:
            yield "allocated at:"
            yield from (f"  {frame}" for frame in d.allocation)
        yield "elements:" if d.length is not None else "fields:"
        for f in d.fields:
            yield f"  {f.type:<8} {f.name:<32} {f.text}"
        yield f"referents ({len(d.referents)}):"
        for o, via in d.referents:
            yield f"  {via:<24} {g.label(o.node)}  retained {o.retained_bytes:,}"
        yield f"referrers ({d.referrer_count:,}):"
        for o, weak in d.referrers:
            yield f"  {g.label(o.node)}" + ("  (weak)" if weak else "")

    return Output({"file": args.file, **d.as_json()}, text)


def paths(inv: Invocation) -> Output:
    from pmdesk.model.heap import report

    args = inv.args
    g = _graph(inv, args.file)
    if args.class_name:
        from pmdesk.cli.heap_classes import merged_paths

        if args.id:
            raise PmdeskError(None, "paths: an ID and --class are two questions: give one")
        return merged_paths(inv, g)
    if not args.id:
        raise PmdeskError(None, "paths: give an object ID, or --class NAME for the merged paths of its instances")
    node = _node(args.file, g, args.id)
    reader = g.object_reader()
    found = [report.path_steps(g, reader, p) for p in g.paths_from_roots(node, args.max)]

    def text() -> Iterator[str]:
        if not found:
            yield f"{g.label(node)} is not reachable from a GC root through strong references"
        for i, p in enumerate(found, 1):
            yield f"path {i}:"
            for depth, s in enumerate(p):
                via = "GC root: " if depth == 0 else f"{s.via} → " if s.via else ""
                yield f"  {'  ' * depth}{via}{s.label}"

    return Output({"file": args.file, "id": g.obj(node).id, "paths": [[s.as_json() for s in p] for p in found]},
                  text)


def suspects(inv: Invocation) -> Output:
    from pmdesk.model.heap import report

    args = inv.args
    g = _graph(inv, args.file)
    dump = g.dump
    found, heap_bytes = report.leak_suspects(g, args.threshold / 100)

    everything = int(dump.meta.get("summary.shallow_bytes") or 0)

    def text() -> Iterator[str]:
        yield (f"heap {heap_bytes:,} bytes (the objects a GC root reaches, as Eclipse MAT counts it)"
               + (f"; the histogram's total, {everything:,} bytes, also counts the "
                  f"{everything - heap_bytes:,} bytes of unreachable objects" if everything > heap_bytes else ""))
        yield f"suspects retain at least {args.threshold:g}% of it"
        if not found:
            yield "no leak suspects"
        for i, s in enumerate(found, 1):
            yield f"\nProblem suspect {i}: {s.description}"
            if s.path:
                yield "  shortest path from a GC root:"
                for depth, st in enumerate(s.path):
                    yield f"    {'  ' * depth}{(st.via + ' → ') if st.via else ''}{st.label}"
            if len(s.chain) > 1:
                yield "  accumulation (dominator chain):"
                for st in s.chain:
                    yield f"    {st.obj.retained_bytes:>14,}  {(st.via + ' → ') if st.via else ''}{st.label}"

    return Output({"file": args.file, "heap_bytes": heap_bytes, "threshold": args.threshold / 100,
                   "suspects": [s.as_json() for s in found]}, text)


def strings(inv: Invocation) -> Output:
    from pmdesk.model.heap import report

    g = _graph(inv, inv.args.file)
    dups = report.duplicate_strings(g, inv.args.top)

    known = bool(g.meta.get("graph.strings_known", True))

    def text() -> Iterator[str]:
        if not known:
            yield "this heap does not say which of its objects are strings (a Go heap dump's objects carry no types)"
            return
        yield f" {'count':>10} {'wasted':>14}  value"
        for d in dups:
            yield f" {d.count:>10,} {d.wasted_bytes:>14,}  {d.text[:100]!r}"

    return Output({"file": inv.args.file, "strings": [d.as_json() for d in dups], "strings_known": known}, text)


def diff(inv: Invocation) -> Output:
    from pmdesk.model.heap import diff as heap_diff

    args = inv.args
    graphs = [_graph(inv, f) for f in (args.a, args.b)]
    c = heap_diff.compare(*graphs)
    doc = c.as_json(args.top)
    if args.by == "class":
        doc.pop("holders")
    elif args.by == "holder":
        doc.pop("classes")

    def text() -> Iterator[str]:
        if c.matched_fraction < 0.5:
            yield (f"note: only {c.matched_fraction:.0%} of B's heap is under paths A has too — "
                   "are these dumps of the same program?")
        if args.by in ("holder", None):
            yield "Holders (what grew, by the path of the dominator tree from the GC roots):"
            yield f" {'growth':>14} {'retained A':>14} {'retained B':>14} {'objects B-A':>12}  holder path"
            for h in c.holders[:args.top]:
                yield (f" {h.growth:>+14,} {h.retained_a:>14,} {h.retained_b:>14,} {h.objects_b - h.objects_a:>+12,}  "
                       f"{heap_diff.SEP.join(h.path)}")
            if c.collections:
                yield ""
                yield "Collections (element counts):"
            for col in c.collections[:5]:
                yield f" {col.size_a:>14,} -> {col.size_b:<14,} {heap_diff.SEP.join(col.path)}"
        if args.by in ("class", None):
            if args.by is None:
                yield ""
            yield "Classes:"
            yield f" {'count B-A':>10} {'shallow B-A':>14} {'retained B-A':>14}  class"
            for cd in c.classes[:args.top]:
                ret = (f"{(cd.retained_b or 0) - (cd.retained_a or 0):+,}"
                       if cd.retained_a is not None or cd.retained_b is not None else "")
                yield (f" {cd.count_b - cd.count_a:>+10,} {cd.shallow_b - cd.shallow_a:>+14,} {ret:>14}  {cd.name}"
                       + (f"  ({cd.status})" if cd.status else ""))

    return Output({"a": args.a, "b": args.b, **doc}, text)


HEAP = (Kind.HEAP_GRAPH,)
COMMANDS = (
    Command("histogram", "heap dumps: the class histogram (like jmap -histo)", histogram, (
        FILE, INDEX_DIR, EXE, JSON, top(None, "classes"),
        Arg.of("--sort", choices=HISTOGRAM_SORTS, default="shallow", help="order of the classes (default shallow)"),
        Arg.of("--filter", metavar="REGEX", help="only classes whose name matches")), HEAP,
        summary="class histogram: count, shallow and retained bytes"),
    Command("biggest", "heap dumps: objects with the largest retained size", biggest,
            (FILE, INDEX_DIR, EXE, JSON, top(25, "objects")), HEAP, summary="objects with the largest retained size"),
    Command("dominators", "heap dumps: the dominator tree below the GC roots or an object", dominators, (
        FILE, INDEX_DIR, EXE, JSON, Arg.of("--of", metavar="ID", help="an object id (0x… or decimal)"),
        Arg.of("--class", dest="class_name", metavar="NAME", help="instead: the immediate dominators of this class's "
               "instances, grouped by class"),
        top(25, "objects")), HEAP, summary="the dominator tree below the GC roots or an object; --class: "
        "a class's immediate dominators"),
    Command("object", "heap dumps: one object's class, sizes, fields, referents, referrers", show_object,
            (FILE, ID, INDEX_DIR, EXE, JSON), HEAP,
            summary="class, sizes, fields (strings as text), referents, referrers"),
    Command("paths", "heap dumps: shortest paths from GC roots (strong references only)", paths, (
        FILE, Arg.of("id", nargs="?", metavar="ID", help="object id (0x… as shown, or decimal)"), INDEX_DIR, EXE,
        JSON, Arg.of("--max", type=int, default=5, metavar="N", help="paths from at most N roots (default 5)"),
        Arg.of("--class", dest="class_name", metavar="NAME", help="instead of an ID: the merged shortest paths of "
               "this class's biggest instances (MAT's merge shortest paths to GC roots)"),
        Arg.of("--max-objects", type=int, metavar="N", help="with --class: merge the paths of the N biggest "
               "instances (default 50)")), HEAP,
        summary="shortest paths from GC roots (weak/soft references excluded); --class: merged"),
    Command("suspects", "heap dumps: leak suspects (as Eclipse MAT defines them)", suspects, (
        FILE, INDEX_DIR, EXE, JSON,
        Arg.of("--threshold", type=float, default=10.0, metavar="PCT", help="share of the heap (default 10)")),
        HEAP, summary="leak suspects as Eclipse MAT defines them"),
    Command("strings", "heap dumps: duplicate strings grouped by value", strings,
            (FILE, INDEX_DIR, EXE, JSON, top(50, "values")), HEAP,
            summary="duplicate strings grouped by value, by wasted bytes"),
    Command("diff", "heap dumps: what grew from A to B, by class and by holder", diff, (
        Arg.of("a", help="the earlier heap dump"), Arg.of("b", help="the later heap dump"),
        Arg.of("--index-dir", metavar="DIR", help="where the indexes live (default: the user cache dir)"), EXE, JSON,
        Arg.of("--by", choices=("class", "holder"), help="only class deltas or only holder paths"),
        top(25, "rows")), HEAP, summary="heap dumps: what grew, by class and by holder path"),
)
