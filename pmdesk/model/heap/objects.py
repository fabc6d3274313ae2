"""One heap object in detail — class, sizes, GC roots, field values, referents with the field that holds
each, referrers, dominator — and names for graph edges. `ObjectReader` is what every format gives (what the
graph alone says); a format that can read its objects' contents again subclasses it (HPROF: fields, arrays,
strings, threads; Go: pointer fields and words, goroutines) and its graph model's `object_reader()` returns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmdesk.model.heap.graph import HeapGraph, HeapObject

if TYPE_CHECKING:
    import sqlite3

    from pmdesk.model.heap.report import ThreadInfo

@dataclass(frozen=True)
class FieldValue:
    name: str
    type: str        # 'ref' or a Java primitive type name
    value: Any       # int/float/bool for primitives, the object id for references (None = null)
    text: str        # what to show
    node: int | None = None  # the referenced node, when the reference resolves

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "value": self.value, "text": self.text}


@dataclass
class ObjectDetails:
    obj: HeapObject
    label: str
    kind: str                     # 'instance' | 'object array' | 'primitive array' | 'class'
    gc_roots: list[str]
    reachability: str             # 'strong' | 'weak only' | 'unreachable'
    length: int | None = None
    text: str | None = None       # a String's value
    fields: list[FieldValue] = field(default_factory=list)  # instance fields, statics, or array elements
    referents: list[tuple[HeapObject, str]] = field(default_factory=list)  # (object, via field)
    referrers: list[tuple[HeapObject, bool]] = field(default_factory=list)  # (object, weak)
    referrer_count: int = 0
    referent_count: int = 0
    dominator: HeapObject | None = None
    allocation: list[str] | None = None  # where it was allocated, innermost frame first (when the dump says)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.obj.as_json(), "label": self.label, "kind": self.kind, "gc_roots": self.gc_roots,
            "reachability": self.reachability, "length": self.length, "text": self.text,
            "fields": [f.as_json() for f in self.fields],
            "referents": [{**o.as_json(), "via": via} for o, via in self.referents],
            "referrers": [{**o.as_json(), "weak": weak} for o, weak in self.referrers],
            "referrer_count": self.referrer_count, "referent_count": self.referent_count,
            "dominator": self.dominator.as_json() if self.dominator else None,
            "allocation_stack": self.allocation,
        }


class ObjectReader:
    """What the graph says about an object; formats that keep more subclass it."""

    def __init__(self, graph: HeapGraph) -> None:
        self.g = graph

    @property
    def conn(self) -> sqlite3.Connection:
        return self.g.conn  # the graph's connection of the moment (a worker's while it warms the reports)

    def root_kinds(self, node: int) -> list[str]:
        """What kinds of GC root the object is (empty when it is none)."""
        return ["GC root"] if self.g.is_root[node] else []

    def fill_contents(self, d: ObjectDetails) -> None:
        """Put the object's kind, length, fields and text into `d` (the generic graph knows none)."""

    def strings(self, nodes: list[int]) -> dict[int, str]:
        """The text of the string objects among `nodes`."""
        return {}

    def values(self, nodes: list[int]) -> dict[int, str]:
        """The value of each object among `nodes` that has one a person compares (a string's text; a boxed
        number's) — what MAT's "group by value" groups on."""
        return self.strings(nodes)

    def field(self, node: int, name: str) -> Any:
        """The value of the object's field (or element, '[3]') `name` — a number, a reference's object id —
        or None when it has none (the query console's field(id, name))."""
        d = ObjectDetails(self.g.obj(node), "", "instance", [], "")
        self.fill_contents(d)
        return next((f.value for f in d.fields if f.name == name), None)

    def subclasses(self, name: str) -> list[str]:
        """A class's name and its subclasses' (OQL's INSTANCEOF); the format knows no hierarchy: the name."""
        return [name]

    def array_ids(self, node: int) -> list[int]:
        """An object array's element ids (0 for null); [] when the object is none or the format keeps none."""
        return []

    def array_bytes(self, node: int) -> bytes | None:
        """A byte array's contents (None when the object is none)."""
        return None

    def fields_of(self, nodes: list[int], names: list[str]) -> dict[tuple[int, str], Any]:
        """field(node, name) of many objects at once: {(node, name): value}."""
        return {(v, n): self.field(v, n) for v in nodes for n in names}

    def edge_labels(self, src: int, targets: list[int]) -> dict[int, str]:
        """How `src` refers to each target: a field name, [index], …"""
        return {t: "" for t in targets}

    def edge_labels_many(self, wanted: dict[int, list[int]]) -> dict[int, dict[int, str]]:
        """edge_labels for several sources."""
        return {src: self.edge_labels(src, targets) for src, targets in wanted.items()}

    def collection_size(self, node: int) -> int | None:
        """How many elements a collection (or array) object holds, when the format can tell."""
        return None

    def is_collection(self, class_name: str) -> bool:
        """Whether objects of this class hold a number of elements (collection_size says how many)."""
        return False

    def owner_text(self, node: int) -> str:
        """Words after a suspect's name saying what owns it (a class's loader); '' when nothing."""
        return ""

    def threads(self) -> list[ThreadInfo]:
        """The heap's threads (goroutines) with their frames and what each frame's locals retain."""
        return []

    def details(self, node: int, most: int = 200) -> ObjectDetails:
        g = self.g
        d = ObjectDetails(g.obj(node), g.label(node), "instance", self.root_kinds(node),
                          ("strong", "weak only", "unreachable")[int(g.reach[node])])
        self.fill_contents(d)
        all_targets = g.referents(node)
        d.referent_count = len(all_targets)
        targets = [t for t, _w in all_targets][:most]
        labels = self.edge_labels(node, targets)
        d.referents = [(g.obj(t), labels.get(t, "")) for t in targets]
        d.referrers = [(g.obj(s), w) for s, w in g.referrers(node, most)]
        d.referrer_count = g.referrer_count(node)
        if g.idom[node] >= 0:
            d.dominator = g.obj(int(g.idom[node]))
        return d


def clip(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[:n] + "…"
