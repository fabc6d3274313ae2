"""CLI twins of MAT's class-level questions (model/heap/class_queries.py) — from a class's instances: list them
(`objects --class`, with their incoming or outgoing references, or grouped by value), their merged shortest
paths from GC roots (`paths --class`), their immediate dominators grouped by class (`dominators --class`), and
their retained set as a class histogram (`retained-set --class`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.errors import PmdeskError
from pmdesk.cli.command import EXE, FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, top
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.model.heap.class_queries import ClassRow, PathNode
    from pmdesk.model.heap.graph import HeapGraph

CLASS = Arg.of("--class", dest="class_name", metavar="NAME", required=True,
               help="the class, as the histogram names it (java.util.HashMap, byte[])")


def instances_of(path: str, g: HeapGraph, name: str) -> np.ndarray:
    """The class's instances, or a one-line error naming the closest class names."""
    from pmdesk.model.heap.class_queries import nodes_of_class

    nodes = nodes_of_class(g, name)
    if len(nodes) == 0:
        names = sorted(set(g.class_names.values()))
        close = difflib.get_close_matches(name, names, 3, 0.6)
        if name in names:
            raise PmdeskError(path, f"class {name} has no instances in this dump")
        raise PmdeskError(path, f"no class {name} in this dump" + (f" (did you mean {', '.join(close)}?)"
                                                                   if close else ""))
    return nodes


def _graph(inv: Invocation) -> HeapGraph:
    from pmdesk.model.heap.graph import heap_graph

    return heap_graph(inv.open(inv.args.file, graph=True))


def class_rows_json(rows: list[ClassRow]) -> list[dict[str, Any]]:
    return [{"class": r.name, "objects": r.objects, "dominated": r.dominated, "shallow_bytes": r.shallow_bytes,
             "retained_bytes": r.retained_bytes} for r in rows]


def objects(inv: Invocation) -> Output:
    """`objects --class NAME`: the instances, biggest retained first; --refs incoming|outgoing lists each one's
    references; --group-by-value groups them by value."""
    a = inv.args
    g = _graph(inv)
    nodes = instances_of(a.file, g, a.class_name)
    if a.group_by_value:
        from pmdesk.model.heap.class_queries import group_by_value

        rows, without = group_by_value(g, nodes)
        shown = rows[: a.top] if a.top else rows
        doc = {"file": a.file, "class": a.class_name, "objects": len(nodes), "without_value": without,
               "values": [{"value": r.value, "objects": r.objects, "shallow_bytes": r.shallow_bytes,
                           "retained_bytes": r.retained_bytes} for r in shown]}

        def text() -> Iterator[str]:
            yield f"{len(nodes):,} {a.class_name} objects, {len(rows):,} values" + (
                f" ({without:,} without one)" if without else "")
            yield f" {'objects':>10} {'shallow':>14} {'retained':>14}  value"
            for r in shown:
                yield f" {r.objects:>10,} {r.shallow_bytes:>14,} {r.retained_bytes:>14,}  {r.value[:100]!r}"

        return Output(doc, text)
    shown_nodes = nodes[: a.top] if a.top else nodes
    objs = g.objs(shown_nodes.tolist())
    refs: dict[int, list[dict[str, Any]]] = {}
    if a.refs:
        reader = g.object_reader()
        for o in objs:
            if a.refs == "outgoing":
                targets = [t for t, _w in g.referents(o.node)][:a.refs_top]
                labels = reader.edge_labels(o.node, targets)
                refs[o.node] = [{**g.obj(t).as_json(), "via": labels.get(t, "")} for t in targets]
            else:
                refs[o.node] = [{**g.obj(s).as_json(), "weak": w} for s, w in g.referrers(o.node, a.refs_top)]
    doc = {"file": a.file, "class": a.class_name, "objects": len(nodes),
           "shallow_bytes": int(g.shallow[nodes].sum()), "retained_bytes_each_sum": int(g.retained[nodes].sum()),
           "instances": [{**o.as_json(), **({a.refs: refs[o.node]} if a.refs else {})} for o in objs]}

    def text() -> Iterator[str]:
        yield f"{len(nodes):,} {a.class_name} objects, shallow {doc['shallow_bytes']:,} bytes"
        yield f" {'retained':>14} {'shallow':>12}  object"
        for o in objs:
            yield f" {o.retained_bytes:>14,} {o.shallow_bytes:>12,}  {g.label(o.node)}"
            for r in refs.get(o.node, []):
                arrow = "→" if a.refs == "outgoing" else "←"
                via = f"{r['via']} " if r.get("via") else ""
                yield f"{'':>30}{arrow} {via}{r['class']} @ {r['id']:#x}" + ("  (weak)" if r.get("weak") else "")

    return Output(doc, text)


def _tree_json(n: PathNode) -> dict[str, Any]:
    return {"label": n.label, "objects": n.objects,
            "children": [_tree_json(c) for c in sorted(n.children.values(), key=lambda c: -c.objects)]}


def merged_paths(inv: Invocation, g: HeapGraph) -> Output:
    """`paths --class NAME`: MAT's merged shortest paths to GC roots of the class's biggest instances."""
    from pmdesk.model.heap.class_queries import MERGED_PATHS_OF
    from pmdesk.model.heap.class_queries import merged_paths as merge

    a = inv.args
    nodes = instances_of(a.file, g, a.class_name)
    tree = merge(g, nodes, a.max_objects or MERGED_PATHS_OF)
    doc = {"file": a.file, "class": a.class_name, "objects": len(nodes), "merged": tree.objects,
           "paths": _tree_json(tree)}

    def text() -> Iterator[str]:
        yield (f"shortest paths from GC roots of {tree.objects:,} of the {len(nodes):,} {a.class_name} objects "
               "(the biggest), merged by class:")

        def walk(n: PathNode, depth: int) -> Iterator[str]:
            for c in sorted(n.children.values(), key=lambda c: -c.objects):
                yield f"  {'  ' * depth}{c.label}  ({c.objects:,})"
                yield from walk(c, depth + 1)

        yield from walk(tree, 0)

    return Output(doc, text)


def immediate_dominators(inv: Invocation, g: HeapGraph) -> Output:
    """`dominators --class NAME`: the objects that immediately dominate the instances, by class."""
    from pmdesk.model.heap.class_queries import immediate_dominators as doms

    a = inv.args
    nodes = instances_of(a.file, g, a.class_name)
    rows, by_root = doms(g, nodes)
    shown = rows[: a.top] if a.top else rows
    doc = {"file": a.file, "class": a.class_name, "objects": len(nodes), "dominated_by_roots": by_root,
           "dominators": class_rows_json(shown)}

    def text() -> Iterator[str]:
        yield f"immediate dominators of the {len(nodes):,} {a.class_name} objects ({by_root:,} by the GC roots alone):"
        yield f" {'objects':>9} {'dominated':>10} {'shallow':>12} {'retained':>14}  class"
        for r in shown:
            yield f" {r.objects:>9,} {r.dominated:>10,} {r.shallow_bytes:>12,} {r.retained_bytes:>14,}  {r.name}"

    return Output(doc, text)


def retained_set(inv: Invocation) -> Output:
    """`retained-set --class NAME`: what the instances keep alive together, as a class histogram."""
    from pmdesk.model.heap.class_queries import retained_set as kept

    a = inv.args
    g = _graph(inv)
    nodes = instances_of(a.file, g, a.class_name)
    rows = kept(g, nodes)
    shown = rows[: a.top] if a.top else rows
    doc = {"file": a.file, "class": a.class_name, "objects": len(nodes),
           "retained_objects": sum(r.objects for r in rows), "retained_bytes": sum(r.shallow_bytes for r in rows),
           "classes": class_rows_json(shown)}

    def text() -> Iterator[str]:
        yield (f"the {len(nodes):,} {a.class_name} objects retain {doc['retained_objects']:,} objects, "
               f"{doc['retained_bytes']:,} bytes:")
        yield f" {'objects':>10} {'shallow':>14}  class"
        for r in shown:
            yield f" {r.objects:>10,} {r.shallow_bytes:>14,}  {r.name}"

    return Output(doc, text)


HEAP = (Kind.HEAP_GRAPH,)
COMMANDS = (
    Command("objects", "heap dumps: a class's instances (with their references, or grouped by value)", objects, (
        FILE, CLASS, INDEX_DIR, EXE, JSON, top(25, "objects (values)"),
        Arg.of("--refs", choices=("incoming", "outgoing"), help="each object's referrers or referents"),
        Arg.of("--refs-top", type=int, default=10, metavar="N", help="references listed per object (default 10)"),
        Arg.of("--group-by-value", action="store_true", help="group strings and boxed numbers by value")), HEAP,
        summary="a class's instances, their references, or grouped by value (MAT's list objects)"),
    Command("retained-set", "heap dumps: what a class's instances retain together, by class", retained_set,
            (FILE, CLASS, INDEX_DIR, EXE, JSON, top(25, "classes")), HEAP,
            summary="what a class's instances keep alive together, as a class histogram"),
)


def requests(inv: Invocation) -> Output:
    """`requests FILE`: the HTTP requests in flight when the heap was dumped (--curl, --har OUT)."""
    import datetime as dt
    import json
    import os

    from pmdesk.model.heap.requests import requests as find

    a = inv.args
    g = _graph(inv)
    found = find(g)
    doc = {"file": a.file, "requests": [r.as_json() for r in found]}
    if a.har:
        when = dt.datetime.fromtimestamp(os.path.getmtime(a.file), dt.UTC).isoformat(timespec="milliseconds")
        har = {"log": {"version": "1.2", "creator": {"name": "pmdesk", "version": "1"},
                       "entries": [r.har_entry(when.replace("+00:00", "Z")) for r in found]}}
        try:
            with open(a.har, "w") as f:
                json.dump(har, f, indent=1)
        except OSError as e:
            raise PmdeskError(a.har, f"cannot write the HAR file: {e.strerror or e}") from None

    def text() -> Iterator[str]:
        if not found:
            yield "no HTTP request objects of a known framework in this heap"
        for r in found:
            if a.curl:
                yield f"# {r.framework}" + (f", thread {r.thread}" if r.thread else "")
                yield r.curl()
                continue
            size = "no body" if r.body is None else f"{len(r.body):,} bytes of body"
            yield f"{r.framework:<15} {r.method:<7} {r.uri}  ({size}" + (f"; thread {r.thread}" if r.thread else "") \
                + ")"
            for p in r.problems:
                yield f"{'':16}warning: {p}"

    return Output(doc, text)


COMMANDS = (*COMMANDS, Command(
    "requests", "heap dumps: the HTTP requests in flight when it was dumped, with the thread serving each",
    requests, (FILE, INDEX_DIR, EXE, JSON, Arg.of("--curl", action="store_true", help="print each as a curl command"),
               Arg.of("--har", metavar="OUT", help="also write them as a HAR 1.2 file")), HEAP,
    summary="HTTP requests in flight (JDK HttpServer, HttpClient): JSON, curl, HAR"))
