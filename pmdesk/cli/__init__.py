"""The headless command line: `pmdesk info|index|histogram|biggest|dominators|object|paths|suspects|strings FILE …`
(the GUI is started by launcher.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdesk import __version__
from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.cli import crash as cli_native
from pmdesk.cli import jfr as cli_jfr
from pmdesk.readers import known_formats

if TYPE_CHECKING:  # commands import their models when they run: `stack` of a core needs neither numpy nor numba
    from pmdesk.model.dump import Dump
    from pmdesk.model.heap.graph import HeapGraph, HeapObject

COMMANDS = ("info", "index", "histogram", "biggest", "dominators", "object", "paths", "suspects", "strings",
            "threads", "diff", "events", "hot", "findings", "stack")
EXIT_OK, EXIT_UNREADABLE = 0, 2
HISTOGRAM_SORTS = ("count", "retained", "shallow")  # model.heap.SORT_KEYS (not imported to build the parser)


def _terminal_progress(label: str) -> Progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return Progress()
    last = [0.0]

    def show(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and fraction < 1.0:
            return
        last[0] = now
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r{label} [{bar:<30}] {fraction * 100:5.1f}% {message[:40]:<40}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return Progress(show)


def _open(args: argparse.Namespace, force: bool = False, graph: bool = False) -> Dump:
    """Open (indexing if needed) and, with `graph`, make sure the object graph and dominators are there."""
    from pmdesk.model.dump import Dump

    label = os.path.basename(args.file)
    dump = Dump.open(args.file, index_dir=args.index_dir, progress=_terminal_progress(label), force=force)
    try:
        if graph:
            from pmdesk.model.heap.graph import ensure_graph

            if dump.format != "hprof":
                raise PmdeskError(args.file, f"is a {dump.format} file; '{args.command}' needs a Java heap dump")
            ensure_graph(dump, _terminal_progress(f"{label} graph"))
    except BaseException:
        dump.close()
        raise
    for w in dump.warnings():
        print(f"warning: {w}", file=sys.stderr)
    return dump


def _node(args: argparse.Namespace, g: HeapGraph, text: str) -> int:
    from pmdesk.model.heap.graph import format_id, parse_id

    try:
        obj_id = parse_id(text)
    except ValueError:
        raise PmdeskError(args.file, f"'{text}' is not an object id (use 0x… as shown, or a decimal number)") from None
    node = g.node_of(obj_id)
    if node is None:
        raise PmdeskError(args.file, f"no object with id {format_id(obj_id)} in this dump")
    return node


def _print_objects(g: HeapGraph, objs: list[HeapObject]) -> None:
    heap_bytes = max(g.heap_bytes, 1)
    print(f" {'retained':>14} {'%':>6} {'shallow':>12}  object")
    for o in objs:
        share = o.retained_bytes / heap_bytes
        print(f" {o.retained_bytes:>14,} {share:>6.1%} {o.shallow_bytes:>12,}  {g.label(o.node)}")


def cmd_info(args: argparse.Namespace) -> int:
    from pmdesk.model.crash import report as native
    from pmdesk.model.heap import histogram as heap
    from pmdesk.model.jfr import events as jfr
    from pmdesk.model.threads import dumps as threads

    with _open(args) as dump:
        m = dump.meta
        out: dict[str, Any] = {
            "file": args.file, "format": dump.format, "size": m.get("dump.size"),
            "reader": dump.reader.SPEC.name, "reader_version": dump.reader.SPEC.version,
            "index_path": str(dump.index_path), "index_state": "built" if dump.built else "reused",
            "index_seconds": m.get("index.seconds"),
            "summary": {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("summary.")},
            "details": {k: v for k, v in m.items() if k.startswith(f"{dump.format}.")},
            "graph": {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("graph.")} or None,
            "diagnostics": len(dump.diagnostics()),
        }
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            overviews = {"hprof": heap.overview, "threads": threads.overview, "jfr": jfr.overview,
                         "elfcore": native.overview}
            for label, value in overviews[dump.format](dump):
                print(f"{label + ':':<24}{value}")
            print(f"{'Index state:':<24}{out['index_state']}")
            print(f"{'Diagnostics:':<24}{out['diagnostics']}")
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    from pmdesk.model.heap.graph import ensure_graph

    with _open(args, force=args.force) as dump:
        m = dump.meta
        state = "built" if dump.built else "up to date"
        print(f"{args.file}: index {state} in {m.get('index.seconds', 0):.2f} s -> {dump.index_path}")
        if dump.format == "hprof" and not args.no_graph:
            had = "graph.version" in m
            ensure_graph(dump, _terminal_progress(f"{os.path.basename(args.file)} graph"))
            m = dump.meta
            print(f"{args.file}: object graph {'up to date' if had else 'built'} in {m['graph.seconds']:.2f} s: "
                  f"{m['graph.nodes']:,} objects, {m['graph.edges']:,} references")
    return EXIT_OK


def cmd_histogram(args: argparse.Namespace) -> int:
    from pmdesk.model.heap import histogram as heap

    with _open(args, graph=True) as dump:
        rows = heap.histogram(dump, sort=args.sort, pattern=args.filter, top=args.top)
        m = dump.meta
        if args.json:
            print(json.dumps({
                "file": args.file, "format": dump.format, "objects": m.get("summary.objects"),
                "shallow_bytes": m.get("summary.shallow_bytes"),
                "classes": [{"name": r.name, "count": r.count, "shallow_bytes": r.shallow_bytes,
                             "retained_bytes": r.retained_bytes} for r in rows],
            }, indent=1))
            return EXIT_OK
        print(f" {'num':>5} {'#instances':>12} {'#bytes':>14} {'retained':>14}  class name")
        print("-" * 78)
        for i, r in enumerate(rows, 1):
            ret = f"{r.retained_bytes:,}" if r.retained_bytes is not None else ""
            print(f" {i:>4}: {r.count:>12,} {r.shallow_bytes:>14,} {ret:>14}  {r.name}")
        print(f"Total  {m.get('summary.objects', 0):>12,} {m.get('summary.shallow_bytes', 0):>14,}")
    return EXIT_OK


def cmd_biggest(args: argparse.Namespace) -> int:
    from pmdesk.model.heap.graph import HeapGraph

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        objs = g.biggest(args.top)
        if args.json:
            print(json.dumps({"file": args.file, "objects": [o.as_json() for o in objs]}, indent=1))
        else:
            _print_objects(g, objs)
    return EXIT_OK


def cmd_dominators(args: argparse.Namespace) -> int:
    from pmdesk.model.heap.graph import ROOT, HeapGraph

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        node = _node(args, g, args.of) if args.of else ROOT
        objs = g.dominated(node, args.top)
        if args.json:
            print(json.dumps({"file": args.file, "of": g.obj(node).id if node != ROOT else None,
                              "objects": [o.as_json() for o in objs]}, indent=1))
        else:
            print(f"dominated by {g.label(node) if node != ROOT else 'the GC roots'} "
                  f"({g.child_count(node):,} objects):")
            _print_objects(g, objs)
    return EXIT_OK


def cmd_object(args: argparse.Namespace) -> int:
    from pmdesk.model.heap.graph import HeapGraph
    from pmdesk.model.heap.objects import ObjectReader

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        d = ObjectReader(g).details(_node(args, g, args.id))
        if args.json:
            print(json.dumps({"file": args.file, **d.as_json()}, indent=1))
            return EXIT_OK
        print(d.label)
        print(f"  kind {d.kind}; shallow {d.obj.shallow_bytes:,} B; retained {d.obj.retained_bytes:,} B; "
              f"{d.reachability}" + (f"; GC root: {', '.join(d.gc_roots)}" if d.gc_roots else ""))
        if d.dominator:
            print(f"  dominated by {g.label(d.dominator.node)}")
        if d.text is not None:
            print(f"  value: {d.text!r}")
        if d.length is not None:
            print(f"  length {d.length:,}")
        print("fields:" if d.kind in ("instance", "class") else "elements:")
        for f in d.fields:
            print(f"  {f.type:<8} {f.name:<32} {f.text}")
        print(f"referents ({len(d.referents)}):")
        for o, via in d.referents:
            print(f"  {via:<24} {g.label(o.node)}  retained {o.retained_bytes:,}")
        print(f"referrers ({d.referrer_count:,}):")
        for o, weak in d.referrers:
            print(f"  {g.label(o.node)}" + ("  (weak)" if weak else ""))
    return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    from pmdesk.model.heap import report as heap_report
    from pmdesk.model.heap.graph import HeapGraph
    from pmdesk.model.heap.objects import ObjectReader

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        node = _node(args, g, args.id)
        reader = ObjectReader(g)
        paths = [heap_report.path_steps(g, reader, p) for p in g.paths_from_roots(node, args.max)]
        if args.json:
            print(json.dumps({"file": args.file, "id": g.obj(node).id,
                              "paths": [[s.as_json() for s in p] for p in paths]}, indent=1))
            return EXIT_OK
        if not paths:
            print(f"{g.label(node)} is not reachable from a GC root through strong references")
        for i, p in enumerate(paths, 1):
            print(f"path {i}:")
            for depth, s in enumerate(p):
                via = f"{s.via} → " if s.via else "GC root: "
                print(f"  {'  ' * depth}{via}{s.label}")
    return EXIT_OK


def cmd_suspects(args: argparse.Namespace) -> int:
    from pmdesk.model.heap import report as heap_report
    from pmdesk.model.heap.graph import HeapGraph

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        suspects, heap_bytes = heap_report.leak_suspects(g, args.threshold / 100)
        if args.json:
            print(json.dumps({"file": args.file, "heap_bytes": heap_bytes, "threshold": args.threshold / 100,
                              "suspects": [s.as_json() for s in suspects]}, indent=1))
            return EXIT_OK
        print(f"heap {heap_bytes:,} bytes; suspects retain at least {args.threshold:g}% of it")
        if not suspects:
            print("no leak suspects")
        for i, s in enumerate(suspects, 1):
            print(f"\nProblem suspect {i}: {s.description}")
            if s.path:
                print("  shortest path from a GC root:")
                for depth, st in enumerate(s.path):
                    print(f"    {'  ' * depth}{(st.via + ' → ') if st.via else ''}{st.label}")
            if len(s.chain) > 1:
                print("  accumulation (dominator chain):")
                for st in s.chain:
                    print(f"    {st.obj.retained_bytes:>14,}  {(st.via + ' → ') if st.via else ''}{st.label}")
    return EXIT_OK


def cmd_strings(args: argparse.Namespace) -> int:
    from pmdesk.model.heap import report as heap_report
    from pmdesk.model.heap.graph import HeapGraph

    with _open(args, graph=True) as dump:
        g = HeapGraph(dump)
        dups = heap_report.duplicate_strings(g, args.top)
        if args.json:
            print(json.dumps({"file": args.file, "strings": [d.as_json() for d in dups]}, indent=1))
            return EXIT_OK
        print(f" {'count':>10} {'wasted':>14}  value")
        for d in dups:
            print(f" {d.count:>10,} {d.wasted_bytes:>14,}  {d.text[:100]!r}")
    return EXIT_OK


def cmd_threads(args: argparse.Namespace) -> int:
    from pmdesk.model.threads import dumps as threads

    opened: list[Dump] = []
    try:
        for f in args.files:
            ns = argparse.Namespace(**{**vars(args), "file": f})
            d = _open(ns)
            opened.append(d)
            if d.format != "threads":
                raise PmdeskError(f, f"is a {d.format} file; 'threads' needs thread dumps")
        doc = threads.report(opened)
        if args.json:
            print(json.dumps({"files": args.files, **doc}, indent=1))
            return EXIT_OK
        series = [dv for d in opened for dv in threads.load_dumps(d)]
        last = series[-1]
        print(f"{doc['dumps']} dump(s); the last one ({last.label}) has {len(last.threads)} threads")
        for dl in last.deadlocks:
            print(f"DEADLOCK: {' -> '.join(dl.threads)} -> {dl.threads[0]} (locks {', '.join(dl.locks)})")
        if doc["stuck"]:
            print(f"stuck in all {doc['dumps']} dumps: {', '.join(doc['stuck'])}")
        for g in threads.groups(last.threads):
            top = str(g.frames[0]) if g.frames else "(no frames)"
            names = ", ".join(t.name for t in g.threads[:4]) + (" …" if len(g.threads) > 4 else "")
            print(f" {len(g.threads):>4}  {g.state:<14} {top}  [{names}]")
        return EXIT_OK
    finally:
        for d in opened:
            d.close()


def cmd_diff(args: argparse.Namespace) -> int:
    from pmdesk.model.heap import diff as heap_diff
    from pmdesk.model.heap.graph import HeapGraph

    graphs = []
    opened: list[Dump] = []
    try:
        for f in (args.a, args.b):
            d = _open(argparse.Namespace(**{**vars(args), "file": f, "command": "diff"}), graph=True)
            opened.append(d)
            graphs.append(HeapGraph(d))
        c = heap_diff.compare(*graphs)
        if args.json:
            doc = c.as_json(args.top)
            if args.by == "class":
                doc.pop("holders")
            elif args.by == "holder":
                doc.pop("classes")
            print(json.dumps({"a": args.a, "b": args.b, **doc}, indent=1))
            return EXIT_OK
        if c.matched_fraction < 0.5:
            print(f"note: only {c.matched_fraction:.0%} of B's heap is under paths A has too — "
                  "are these dumps of the same program?")
        if args.by in ("holder", None):
            print(f" {'growth':>14} {'retained A':>14} {'retained B':>14} {'objects B-A':>12}  holder path")
            for h in c.holders[:args.top]:
                print(f" {h.growth:>+14,} {h.retained_a:>14,} {h.retained_b:>14,} {h.objects_b - h.objects_a:>+12,}  "
                      f"{heap_diff.SEP.join(h.path)}")
            for col in c.collections[:5]:
                print(f"collection {heap_diff.SEP.join(col.path)}: size {col.size_a:,} -> {col.size_b:,}")
        if args.by in ("class", None):
            print(f" {'count B-A':>10} {'shallow B-A':>14} {'retained B-A':>14}  class")
            for cd in c.classes[:args.top]:
                ret = (f"{(cd.retained_b or 0) - (cd.retained_a or 0):+,}"
                       if cd.retained_a is not None or cd.retained_b is not None else "")
                print(f" {cd.count_b - cd.count_a:>+10,} {cd.shallow_b - cd.shallow_a:>+14,} {ret:>14}  {cd.name}"
                      + (f"  ({cd.status})" if cd.status else ""))
        return EXIT_OK
    finally:
        for d in opened:
            d.close()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmdesk", description=f"pmdesk {__version__}: post-mortem analyser. "
                                f"Reads: {known_formats()}. Run with FILE… (or none) to start the GUI.")
    p.add_argument("--version", action="version", version=f"pmdesk {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("file", help="the dump")
        sp.add_argument("--index-dir", metavar="DIR", help="where the index lives (default: user cache dir)")

    sp = sub.add_parser("info", help="format, size, reader, index and summary figures")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_info)

    sp = sub.add_parser("index", help="build (or rebuild) the index")
    common(sp)
    sp.add_argument("--force", action="store_true", help="rebuild even if a current index exists")
    sp.add_argument("--no-graph", action="store_true",
                    help="heap dumps: stop after the histogram (no object graph, dominators, retained sizes)")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("histogram", help="class histogram (like jmap -histo)")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--top", type=int, metavar="N")
    sp.add_argument("--sort", choices=HISTOGRAM_SORTS, default="shallow")
    sp.add_argument("--filter", metavar="REGEX", help="only classes whose name matches")
    sp.set_defaults(func=cmd_histogram)

    sp = sub.add_parser("biggest", help="heap dumps: objects with the largest retained size")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--top", type=int, default=25, metavar="N")
    sp.set_defaults(func=cmd_biggest)

    sp = sub.add_parser("dominators", help="heap dumps: the dominator tree below the GC roots or an object")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--of", metavar="ID", help="an object id (0x… or decimal)")
    sp.add_argument("--top", type=int, default=25, metavar="N")
    sp.set_defaults(func=cmd_dominators)

    sp = sub.add_parser("object", help="heap dumps: one object's class, sizes, fields, referents, referrers")
    common(sp)
    sp.add_argument("id", help="object id (0x… or decimal)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_object)

    sp = sub.add_parser("paths", help="heap dumps: shortest paths from GC roots (strong references only)")
    common(sp)
    sp.add_argument("id", help="object id (0x… or decimal)")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--max", type=int, default=5, metavar="N", help="paths from at most N roots")
    sp.set_defaults(func=cmd_paths)

    sp = sub.add_parser("suspects", help="heap dumps: leak suspects (as Eclipse MAT defines them)")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--threshold", type=float, default=10.0, metavar="PCT", help="share of the heap (default 10)")
    sp.set_defaults(func=cmd_suspects)

    sp = sub.add_parser("threads", help="thread dumps: threads, locks, deadlocks, stack groups, stuck threads "
                                        "(several files = a series)")
    sp.add_argument("files", nargs="+", metavar="FILE", help="thread dumps or logs holding them, oldest first")
    sp.add_argument("--index-dir", metavar="DIR", help="where the index lives (default: user cache dir)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_threads)

    cli_jfr.add_parsers(sub, common, _open)
    cli_native.add_parser(sub, common, _open)

    sp = sub.add_parser("diff", help="heap dumps: what grew from A to B, by class and by holder")
    sp.add_argument("a", help="the earlier heap dump")
    sp.add_argument("b", help="the later heap dump")
    sp.add_argument("--index-dir", metavar="DIR", help="where the indexes live (default: user cache dir)")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--by", choices=("class", "holder"), help="only class deltas or only holder paths")
    sp.add_argument("--top", type=int, default=25, metavar="N")
    sp.set_defaults(func=cmd_diff)

    sp = sub.add_parser("strings", help="heap dumps: duplicate strings grouped by value")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--top", type=int, default=50, metavar="N")
    sp.set_defaults(func=cmd_strings)
    return p


def _what(args: argparse.Namespace) -> str:
    """The file(s) a command works on, for a message."""
    files = getattr(args, "files", None) or [f for f in (getattr(args, "a", None), getattr(args, "b", None)) if f]
    return getattr(args, "file", None) or " ".join(files)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "filter", None):
        import re

        try:
            re.compile(args.filter)
        except re.error as e:
            print(f"pmdesk: --filter: invalid regular expression: {e}", file=sys.stderr)
            return EXIT_UNREADABLE
    try:
        return args.func(args)
    except Cancelled:
        print(f"{_what(args)}: cancelled", file=sys.stderr)
        return 130
    except PmdeskError as e:
        print(e.one_line(), file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print(f"{_what(args)}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
