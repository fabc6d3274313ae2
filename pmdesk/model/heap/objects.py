"""One heap object in detail — class, sizes, field values (strings as text), array elements,
referents with the field that holds each, referrers, dominator — and names for graph edges."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from pmdesk.model.heap.graph import HeapGraph, HeapObject, format_id
from pmdesk.readers.hprof import objects as O
from pmdesk.readers.hprof import records as R

ARRAY_PREVIEW = 100  # elements shown of an array
TEXT_LIMIT = 1000  # characters of a String shown
_TYPE_NAMES = {R.T_OBJECT: "ref", **R.PRIMITIVE_JAVA_NAME}


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

    def as_json(self) -> dict[str, Any]:
        return {
            **self.obj.as_json(), "label": self.label, "kind": self.kind, "gc_roots": self.gc_roots,
            "reachability": self.reachability, "length": self.length, "text": self.text,
            "fields": [f.as_json() for f in self.fields],
            "referents": [{**o.as_json(), "via": via} for o, via in self.referents],
            "referrers": [{**o.as_json(), "weak": weak} for o, weak in self.referrers],
            "referrer_count": self.referrer_count, "referent_count": self.referent_count,
            "dominator": self.dominator.as_json() if self.dominator else None,
        }


class ObjectReader:
    """Decodes objects of one dump from its records; caches class field layouts."""

    def __init__(self, graph: HeapGraph) -> None:
        self.g = graph
        self.conn = graph.conn
        self.id_size = int(graph.meta["hprof.id_size"])

    @functools.cached_property
    def _classes(self) -> tuple[dict[int, int], dict[int, tuple[int | None, list[tuple[str, int]]]]]:
        idx_of_id: dict[int, int] = {}
        info: dict[int, tuple[int | None, list[tuple[str, int]]]] = {}
        for idx, cid, sup in self.conn.execute("SELECT class_idx, class_id, super_id FROM hprof_class"):
            if cid is not None:
                idx_of_id[cid & 0xFFFFFFFFFFFFFFFF] = idx
            info[idx] = (sup & 0xFFFFFFFFFFFFFFFF if sup else None, [])
        for idx, name, t in self.conn.execute("SELECT class_idx, name, type FROM hprof_field WHERE is_static = 0 "
                                              "ORDER BY class_idx, seq"):
            info[idx][1].append((name, t))
        return idx_of_id, info

    def instance_fields(self, class_idx: int) -> list[tuple[str, int]]:
        """Fields of an instance in dump order: the class's own, then each superclass's."""
        idx_of_id, info = self._classes
        out: list[tuple[str, int]] = []
        c: int | None = class_idx
        for _ in range(256):
            if c is None or c not in info:
                break
            sup, fields = info[c]
            out.extend(fields)
            c = idx_of_id.get(sup) if sup else None
        return out

    def records(self, nodes: list[int]) -> dict[int, O.Record]:
        offs = {self.g.offset(v): v for v in nodes if self.g.offset(v) is not None}
        return {offs[r.offset]: r for r in O.read_records(self.g.dump.path, offs.keys(), self.id_size)}

    def field_values(self, node: int, rec: O.Record | None = None) -> list[tuple[str, int, Any]]:
        if node >= self.g.n_objects:  # a class mirror: its statics
            cidx = int(self.g.class_node_idx[node - self.g.n_objects])
            return [(n, t, (v & 0xFFFFFFFFFFFFFFFF) if t == R.T_OBJECT and v is not None else v)
                    for n, t, v in self.conn.execute("SELECT name, type, value FROM hprof_field WHERE class_idx = ? "
                                                     "AND is_static = 1 ORDER BY seq", (cidx,))]
        rec = rec or self.records([node]).get(node)
        if rec is None or rec.tag != R.INSTANCE_DUMP:
            return []
        return O.instance_values(rec, self.id_size, self.instance_fields(int(self.g.node_class[node])))

    def strings(self, nodes: list[int]) -> dict[int, str]:
        """Text of the java.lang.String objects among `nodes`."""
        strs = [v for v in nodes if v < self.g.n_objects and self.g.class_of(v) == "java.lang.String"]
        recs = self.records(strs)
        value_node: dict[int, tuple[int, int | None]] = {}
        for v, rec in recs.items():
            vals = {n: x for n, _t, x in self.field_values(v, rec)}
            arr = self.g.node_of(vals.get("value") or 0)
            if arr is not None:
                value_node[v] = (arr, vals.get("coder"))
        arrays = self.records([a for a, _ in value_node.values()])
        out = {}
        for v, (a, coder) in value_node.items():
            text = O.string_text(arrays.get(a), coder, self.id_size)
            if text is not None:
                out[v] = text
        return out

    def edge_labels_many(self, wanted: dict[int, list[int]]) -> dict[int, dict[int, str]]:
        """edge_labels for several sources, their records read in one pass over the dump."""
        recs = self.records([s for s in wanted if s < self.g.n_objects])
        return {src: self.edge_labels(src, targets, recs.get(src)) for src, targets in wanted.items()}

    def edge_labels(self, src: int, targets: list[int], rec: O.Record | None = None) -> dict[int, str]:
        """How `src` refers to each target: field name, [index], static, <class>, <Java local>, …"""
        g = self.g
        want = {int(i): t for i, t in zip(g._column("ids", "hprof_object.id", targets), targets, strict=True)}
        labels: dict[int, str] = {}
        n_obj = g.n_objects
        if src >= n_obj:
            cidx = int(g.class_node_idx[src - n_obj])
            row = self.conn.execute("SELECT super_id, loader_id, signers_id, protection_domain_id FROM hprof_class "
                                    "WHERE class_idx = ?", (cidx,)).fetchone()
            for name, v in zip(("<super>", "<class loader>", "<signers>", "<protection domain>"), row, strict=True):
                if v and (v & 0xFFFFFFFFFFFFFFFF) in want:
                    labels.setdefault(want[v & 0xFFFFFFFFFFFFFFFF], name)
            for name, t, v in self.field_values(src):
                if t == R.T_OBJECT and v in want:
                    labels.setdefault(want[v], f"static {name}")
        else:
            length = g.array_length(src)
            rec = rec or self.records([src]).get(src)
            if rec is not None and rec.tag == R.OBJ_ARRAY_DUMP:
                _t, _n, vals = O.array_values(rec, self.id_size)
                for i, v in enumerate(vals.tolist()):
                    if v in want and want[v] not in labels:
                        labels[want[v]] = f"[{i}]"
            elif length < 0:
                for name, t, v in self.field_values(src, rec):
                    if t == R.T_OBJECT and v in want:
                        labels.setdefault(want[v], name)
        for t in targets:
            if t not in labels:
                if t >= n_obj and src < n_obj and g.represented_class(t) == g.class_of(src):
                    labels[t] = "<class>"
                elif t >= n_obj:
                    labels[t] = "<class defined>"
                else:
                    labels[t] = "<Java local>"
        return labels

    def details(self, node: int, most: int = 200) -> ObjectDetails:
        g = self.g
        obj = g.obj(node)
        roots = [R.ROOT_NAMES.get(k, hex(k)) for (k,) in self.conn.execute(
            "SELECT DISTINCT kind FROM hprof_root WHERE object_id = ?", (_sql(obj.id),))]
        reach = ("strong", "weak only", "unreachable")[int(g.reach[node])]
        rc = g.represented_class(node)
        length = g.array_length(node)
        d = ObjectDetails(obj, g.label(node), "class" if rc else "instance", roots, reach)
        rec = self.records([node]).get(node) if node < g.n_objects else None
        if length >= 0 and rec is not None:
            d.length = length
            t, _n, vals = O.array_values(rec, self.id_size)
            d.kind = "object array" if t == R.T_OBJECT else "primitive array"
            shown = vals[:ARRAY_PREVIEW].tolist()
            ref_text = self._ref_texts([v for v in shown if v]) if t == R.T_OBJECT else {}
            for i, v in enumerate(shown):
                if t == R.T_OBJECT:
                    d.fields.append(FieldValue(f"[{i}]", "ref", v or None, ref_text.get(v, "null"),
                                               g.node_of(v) if v else None))
                else:
                    d.fields.append(FieldValue(f"[{i}]", _TYPE_NAMES[t], v, _prim_text(t, v)))
        else:
            vals3 = self.field_values(node, rec)
            ref_text = self._ref_texts([v for _n, t, v in vals3 if t == R.T_OBJECT and v])
            for name, t, v in vals3:
                if t == R.T_OBJECT:
                    d.fields.append(FieldValue(name, "ref", v or None, ref_text.get(v, "null") if v else "null",
                                               g.node_of(v) if v else None))
                else:
                    d.fields.append(FieldValue(name, _TYPE_NAMES.get(t, "?"), v, _prim_text(t, v)))
        if obj.class_name == "java.lang.String":
            d.text = self.strings([node]).get(node)
            if d.text is not None and len(d.text) > TEXT_LIMIT:
                d.text = d.text[:TEXT_LIMIT] + "…"
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

    def _ref_texts(self, ids: list[int]) -> dict[int, str]:
        """Display text for referenced objects: class @ id, with a String's text in quotes."""
        g = self.g
        nodes = {i: g.node_of(i) for i in set(ids)}
        texts = self.strings([v for v in nodes.values() if v is not None])
        out = {}
        for i, v in nodes.items():
            if v is None:
                out[i] = f"{format_id(i)} (not in dump)"
            elif v in texts:
                out[i] = f"\"{_clip(texts[v])}\" ({g.label(v)})"
            else:
                out[i] = g.label(v)
        return out


def _sql(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _clip(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[:n] + "…"


def _prim_text(t: int, v: Any) -> str:
    if v is None:
        return "?"
    if t == R.T_CHAR:
        return repr(chr(v)) if 0x20 <= v < 0xD800 else f"\\u{v:04x}"
    return str(v)
