"""Heap reports built on the dominator tree: leak suspects (Eclipse MAT's definition), duplicate
strings, and the threads overview (each thread's stack with the retained size of its frames' locals)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pmdesk.model.heap.graph import HeapGraph, HeapObject
from pmdesk.model.heap.objects import ObjectReader

T = TypeVar("T")
DUPLICATES_SHOWN = 1000  # the rows the Duplicate strings dock lists


def per_graph(fn: Callable[..., T]) -> Callable[..., T]:
    """A report remembered per graph and arguments: worked out once — by the worker that loads the graph
    (warm_reports) — so a dock showing it does no work that grows with the dump on the GUI thread."""

    @functools.wraps(fn)
    def remembered(g: HeapGraph, *args: Any, **kwargs: Any) -> T:
        memo = g.__dict__.setdefault("_reports", {})
        key = (fn.__name__, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = fn(g, *args, **kwargs)
        return memo[key]

    return remembered


def warm_reports(g: HeapGraph) -> None:
    """Works out the reports the heap docks show (leak suspects, duplicate strings, threads, requests in
    flight) — for the worker
    thread that loads the graph, through its own connection."""
    from pmdesk.model.heap.requests import requests

    leak_suspects(g)
    duplicate_strings(g, DUPLICATES_SHOWN)
    threads(g)
    requests(g)

SUSPECT_THRESHOLD = 0.10  # MAT: a suspect retains at least 10% of the heap
BIG_DROP_RATIO = 0.70     # MAT: follow the biggest dominated child while it keeps ≥ 70% of its parent


@dataclass
class PathStep:
    obj: HeapObject
    label: str
    via: str  # how the previous step refers to this one ('' for the GC root)

    def as_json(self) -> dict[str, Any]:
        return {**self.obj.as_json(), "label": self.label, "via": self.via}


@dataclass
class Suspect:
    kind: str                       # 'object' | 'class'
    description: str
    class_name: str
    retained_bytes: int
    fraction: float
    objects: list[HeapObject]       # the object, or the biggest instances of the class
    instances: int
    accumulation_point: HeapObject | None
    path: list[PathStep] = field(default_factory=list)  # GC root → the (first) suspect object
    chain: list[PathStep] = field(default_factory=list)  # suspect object → accumulation point (dominators)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "description": self.description, "class": self.class_name,
                "retained_bytes": self.retained_bytes, "fraction": round(self.fraction, 4),
                "instances": self.instances, "objects": [o.as_json() for o in self.objects],
                "accumulation_point": self.accumulation_point.as_json() if self.accumulation_point else None,
                "path": [s.as_json() for s in self.path], "chain": [s.as_json() for s in self.chain]}


def path_steps(g: HeapGraph, reader: ObjectReader, path: list[int]) -> list[PathStep]:
    steps = [PathStep(g.obj(path[0]), g.label(path[0]), "")]
    for a, b in zip(path, path[1:], strict=False):
        steps.append(PathStep(g.obj(b), g.label(b), reader.edge_labels(a, [b])[b]))
    return steps


def accumulation_point(g: HeapGraph, node: int) -> list[int]:
    """The dominator chain from `node` down while the biggest child keeps ≥ BIG_DROP_RATIO of its parent."""
    chain = [node]
    while len(chain) < 1000:
        kids = g.dominated(chain[-1], top=1)
        if not kids or kids[0].retained_bytes < BIG_DROP_RATIO * g.retained[chain[-1]]:
            break
        chain.append(kids[0].node)
    return chain


@per_graph
def leak_suspects(g: HeapGraph, threshold: float = SUSPECT_THRESHOLD) -> tuple[list[Suspect], int]:
    """(suspects, heap bytes): single objects, then groups of one class's instances, at the top of the
    dominator tree retaining ≥ threshold of the heap."""
    reader = g.object_reader()
    heap = g.heap_bytes
    limit = threshold * heap
    top = g.dominated()
    out: list[Suspect] = []
    rest: list[HeapObject] = []
    for o in top:
        (out if o.retained_bytes >= limit else rest).append(o)
    singles = [_object_suspect(g, reader, o, heap) for o in out]
    by_class: dict[str, list[HeapObject]] = defaultdict(list)
    for o in rest:
        by_class[g.label(o.node) if g.represented_class(o.node) else o.class_name].append(o)
    groups = []
    for name, objs in by_class.items():
        total = sum(o.retained_bytes for o in objs)
        if total >= limit and len(objs) > 1:
            groups.append(_class_suspect(g, reader, name, objs, total, heap))
    suspects = sorted(singles + groups, key=lambda s: -s.retained_bytes)
    return suspects, heap


def _object_suspect(g: HeapGraph, reader: ObjectReader, o: HeapObject, heap: int) -> Suspect:
    chain = accumulation_point(g, o.node)
    acc = g.obj(chain[-1]) if len(chain) > 1 else None
    name = g.label(o.node)
    rc = g.represented_class(o.node)
    what = f"The class {rc}" if rc else f"The object {name}" if o.node < g.n_objects else f"The {name}"
    loader = reader.owner_text(o.node)
    desc = (f"{what}{loader} occupies {o.retained_bytes:,} bytes ({o.retained_bytes / heap:.1%}) of the heap.")
    if acc is not None:
        desc += f" The memory is accumulated in one instance of {acc.class_name} ({g.label(acc.node)})."
    paths = g.paths_from_roots(o.node, 1)
    return Suspect("object", desc, rc or o.class_name,
                   o.retained_bytes, o.retained_bytes / heap, [o], 1, acc,
                   path_steps(g, reader, paths[0]) if paths else [], path_steps(g, reader, chain))


def _class_suspect(g: HeapGraph, reader: ObjectReader, name: str, objs: list[HeapObject], total: int,
                   heap: int) -> Suspect:
    biggest = max(objs, key=lambda x: x.retained_bytes)
    desc = (f"{len(objs):,} instances of {name} occupy {total:,} bytes ({total / heap:.1%}) of the heap; "
            f"the biggest retains {biggest.retained_bytes:,} bytes.")
    chain = accumulation_point(g, biggest.node)
    paths = g.paths_from_roots(biggest.node, 1)
    return Suspect("class", desc, name, total, total / heap, sorted(objs, key=lambda x: -x.retained_bytes)[:10],
                   len(objs), g.obj(chain[-1]) if len(chain) > 1 else None,
                   path_steps(g, reader, paths[0]) if paths else [], path_steps(g, reader, chain))


# ---------------------------------------------------------------- duplicate strings
@dataclass(frozen=True)
class DuplicateString:
    text: str
    count: int
    arrays: int
    value_bytes: int
    wasted_bytes: int
    example: HeapObject

    def as_json(self) -> dict[str, Any]:
        return {"value": self.text, "count": self.count, "value_bytes": self.value_bytes,
                "wasted_bytes": self.wasted_bytes, "distinct_arrays": self.arrays, "example_id": self.example.id}


@per_graph
def duplicate_strings(g: HeapGraph, top: int | None = 100) -> list[DuplicateString]:
    """Values held by more than one String, most wasted bytes first."""
    rows = g.conn.execute("SELECT count, arrays, value_bytes, wasted_bytes, string_node FROM heap_duplicate_string "
                          "ORDER BY rank" + (f" LIMIT {int(top)}" if top is not None else "")).fetchall()
    texts = g.object_reader().strings([r[4] for r in rows])
    return [DuplicateString(texts.get(r[4], "?"), r[0], r[1], r[2], r[3], g.obj(r[4])) for r in rows]


# ---------------------------------------------------------------- threads
@dataclass
class FrameLocals:
    depth: int
    method: str
    location: str
    locals: list[HeapObject]

    @property
    def retained_bytes(self) -> int:
        return sum(o.retained_bytes for o in self.locals)


@dataclass
class ThreadInfo:
    obj: HeapObject
    name: str
    frames: list[FrameLocals]
    locals_without_frame: list[HeapObject]

    @property
    def max_locals_retained(self) -> int:
        return max([f.retained_bytes for f in self.frames] + [0])

    def as_json(self) -> dict[str, Any]:
        return {**self.obj.as_json(), "name": self.name, "max_locals_retained_bytes": self.max_locals_retained,
                "frames": [{"depth": f.depth, "method": f.method, "location": f.location,
                            "locals_retained_bytes": f.retained_bytes,
                            "locals": [o.as_json() for o in f.locals]} for f in self.frames]}


@per_graph
def threads(g: HeapGraph) -> list[ThreadInfo]:
    """The heap's threads (goroutines) with their stacks and the objects each frame's locals hold, the one
    retaining most first."""
    return sorted(g.object_reader().threads(), key=lambda t: -t.obj.retained_bytes)
