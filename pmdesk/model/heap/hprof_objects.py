"""A Java heap dump's objects read again from their HPROF records: instance fields in class order, arrays,
String text, the field or index behind each reference, the threads with their frames' locals, class
loaders, collection sizes."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

from pmdesk.model.heap.graph import HeapGraph, format_id
from pmdesk.model.heap.objects import FieldValue, ObjectDetails, ObjectReader, clip
from pmdesk.model.heap.report import FrameLocals, ThreadInfo
from pmdesk.readers.hprof import objects as O
from pmdesk.readers.hprof import records as R

ARRAY_PREVIEW = 100  # elements shown of an array
TEXT_LIMIT = 1000  # characters of a String shown
_TYPE_NAMES = {R.T_OBJECT: "ref", **R.PRIMITIVE_JAVA_NAME}
_SIZE_FIELDS = ("size", "count", "elementCount")  # what a collection calls its element count


BOXED = frozenset(f"java.lang.{n}" for n in ("Integer", "Long", "Short", "Byte", "Character", "Boolean",
                                                 "Float", "Double"))

class HprofObjectReader(ObjectReader):
    """Decodes objects of one Java heap dump from its records; caches class field layouts."""

    def __init__(self, graph: HeapGraph) -> None:
        super().__init__(graph)
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

    def subclasses(self, name: str) -> list[str]:
        """The class and every class whose superclass chain reaches it, by name."""
        idx_of_id, info = self._classes
        names = self.g.class_names
        kids: dict[int, list[int]] = {}
        for idx, (sup, _fields) in info.items():
            parent = idx_of_id.get(sup) if sup else None
            if parent is not None:
                kids.setdefault(parent, []).append(idx)
        todo = [i for i in info if names.get(i) == name]
        out: set[str] = set()
        while todo:
            i = todo.pop()
            if names.get(i) is not None and names[i] not in out:
                out.add(names[i])
                todo += kids.get(i, [])
        return sorted(out) or [name]

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

    def field(self, node: int, name: str) -> Any:
        """An instance field's (or a class's static's) value: a number, a reference's object id, None."""
        return self._field(self.field_values(node), name)

    @staticmethod
    def _field(values: list[tuple[str, int, Any]], name: str) -> Any:
        for n, t, v in values:
            if n == name:
                return (v & 0xFFFFFFFFFFFFFFFF) or None if t == R.T_OBJECT and v is not None else v
        return None

    def array_ids(self, node: int) -> list[int]:
        rec = self.records([node]).get(node) if node < self.g.n_objects else None
        if rec is None or rec.tag != R.OBJ_ARRAY_DUMP:
            return []
        return [int(v) for v in O.array_values(rec, self.id_size)[2].tolist()]

    def array_bytes(self, node: int) -> bytes | None:
        rec = self.records([node]).get(node) if node < self.g.n_objects else None
        if rec is None or rec.tag != R.PRIM_ARRAY_DUMP:
            return None
        t, n, vals = O.array_values(rec, self.id_size)
        return bytes(vals.astype("u1", copy=False)) if t == R.T_BYTE and len(vals) == n else None

    def fields_of(self, nodes: list[int], names: list[str]) -> dict[tuple[int, str], Any]:
        """Fields of many objects, their records read in one pass over the dump."""
        out = {}
        for v, rec in self.records([v for v in nodes if v < self.g.n_objects]).items():
            values = self.field_values(v, rec)
            for n in names:
                out[(v, n)] = self._field(values, n)
        return out

    def values(self, nodes: list[int]) -> dict[int, str]:
        """Strings' text, and the value of the JDK's boxed primitives (Integer, Long, Character, Boolean …)."""
        out = self.strings(nodes)
        boxed = [v for v in nodes if v < self.g.n_objects and v not in out and self.g.class_of(v) in BOXED]
        for v, rec in self.records(boxed).items():
            vals = {n: x for n, _t, x in self.field_values(v, rec)}
            if "value" in vals:
                x = vals["value"]
                out[v] = chr(x) if self.g.class_of(v) == "java.lang.Character" and isinstance(x, int) else \
                    str(bool(x)).lower() if self.g.class_of(v) == "java.lang.Boolean" else str(x)
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

    def root_kinds(self, node: int) -> list[str]:
        kinds = [R.ROOT_NAMES.get(k, hex(k)) for (k,) in self.conn.execute(
            "SELECT DISTINCT kind FROM hprof_root WHERE object_id = ?", (_sql(self.g.obj(node).id),))]
        if not kinds and node >= self.g.n_objects and self.g.is_root[node]:
            return ["system class"]  # a boot loader's class: a root the dump does not list
        return kinds

    def fill_contents(self, d: ObjectDetails) -> None:
        g = self.g
        node = d.obj.node
        if g.represented_class(node):
            d.kind = "class"
        length = g.array_length(node)
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
        if d.obj.class_name == "java.lang.String":
            d.text = self.strings([node]).get(node)
            if d.text is not None and len(d.text) > TEXT_LIMIT:
                d.text = d.text[:TEXT_LIMIT] + "…"

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
                out[i] = f"\"{clip(texts[v])}\" ({g.label(v)})"
            else:
                out[i] = g.label(v)
        return out


    def collection_size(self, node: int) -> int | None:
        if node >= self.g.n_objects:
            return None
        length = self.g.array_length(node)
        if length >= 0:
            return length
        values = {n: v for n, t, v in self.field_values(node) if t != R.T_OBJECT}
        return next((int(values[f]) for f in _SIZE_FIELDS if isinstance(values.get(f), int)), None)

    def is_collection(self, class_name: str) -> bool:
        if class_name.endswith("[]"):
            return True
        row = self.conn.execute("SELECT class_idx FROM hprof_class WHERE name = ? AND kind = 'instance'",
                                (class_name,)).fetchone()
        fields = {n for n, _t in self.instance_fields(row[0])} if row else set()
        return any(f in fields for f in _SIZE_FIELDS)

    def owner_text(self, node: int) -> str:
        g = self.g
        if node < g.n_objects:
            return ""
        cidx = int(g.class_node_idx[node - g.n_objects])
        row = self.conn.execute("SELECT loader_id FROM hprof_class WHERE class_idx = ?", (cidx,)).fetchone()
        if not row or not row[0]:
            return ", loaded by the bootstrap class loader,"
        ln = g.node_of(row[0] & 0xFFFFFFFFFFFFFFFF)
        return f", loaded by {g.label(ln)}," if ln is not None else ""

    def threads(self) -> list[ThreadInfo]:
        """Thread objects with their stack traces and the objects each frame's locals hold."""
        g, conn = self.g, self.conn
        strings = dict(conn.execute("SELECT string_id, text FROM hprof_string"))
        class_by_serial = dict(conn.execute("SELECT l.serial, c.name FROM hprof_load_class l "
                                            "JOIN hprof_class c ON c.class_id = l.class_id"))
        frames: dict[int, tuple[str, str]] = {}
        for fid, mname, src, cser, line in conn.execute(
                "SELECT frame_id, method_name_id, source_file_id, class_serial, line FROM hprof_frame"):
            where = {0: "", -1: "unknown", -2: "compiled", -3: "native"}.get(line, f"{strings.get(src, '?')}:{line}")
            frames[fid] = (f"{class_by_serial.get(cser, '?')}.{strings.get(mname, '?')}", where or strings.get(src, ""))
        trace_frames: dict[int, list[int]] = defaultdict(list)
        for ts, fid in conn.execute("SELECT trace_serial, frame_id FROM hprof_trace_frame "
                                    "ORDER BY trace_serial, depth"):
            trace_frames[ts].append(fid)
        locals_by_thread: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for kind, oid, tser, frame in conn.execute(
                "SELECT kind, object_id, thread_serial, frame_number FROM hprof_root WHERE kind IN (?, ?, ?)",
                (R.ROOT_JAVA_FRAME, R.ROOT_JNI_LOCAL, R.ROOT_NATIVE_STACK)):
            locals_by_thread[tser].append((frame if kind != R.ROOT_NATIVE_STACK else -1, oid & 0xFFFFFFFFFFFFFFFF))
        thread_rows = conn.execute("SELECT object_id, thread_serial, frame_number FROM hprof_root WHERE kind = ?",
                                   (R.ROOT_THREAD_OBJECT,)).fetchall()
        nodes = {}
        for oid, _ser, _trace in thread_rows:
            v = g.node_of(oid & 0xFFFFFFFFFFFFFFFF)
            if v is not None:
                nodes[oid] = v
        names = self._thread_names(list(nodes.values()))
        out = []
        for oid, ser, trace in thread_rows:
            v = nodes.get(oid)
            if v is None:
                continue
            fr = [FrameLocals(d, *frames.get(fid, ("?", "")), []) for d, fid in enumerate(trace_frames.get(trace, []))]
            loose = []
            seen: set[tuple[int, int]] = set()
            for depth, lid in locals_by_thread.get(ser, []):
                ln = g.node_of(lid)
                if ln is None or ln == v or (depth, ln) in seen:  # a frame's `this` thread is not its local
                    continue
                seen.add((depth, ln))
                (fr[depth].locals if 0 <= depth < len(fr) else loose).append(g.obj(ln))
            out.append(ThreadInfo(g.obj(v), names.get(v, ""), fr, loose))
        return out

    def _thread_names(self, nodes: list[int]) -> dict[int, str]:
        recs = self.records(nodes)
        name_nodes = {}
        for v, rec in recs.items():
            vals = {n: x for n, _t, x in self.field_values(v, rec)}
            nn = self.g.node_of(vals.get("name") or 0)
            if nn is not None:
                name_nodes[v] = nn
        texts = self.strings(list(name_nodes.values()))
        return {v: texts.get(nn, "") for v, nn in name_nodes.items()}


def _sql(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _prim_text(t: int, v: Any) -> str:
    if v is None:
        return "?"
    if t == R.T_CHAR:
        return repr(chr(v)) if 0x20 <= v < 0xD800 else f"\\u{v:04x}"
    return str(v)
