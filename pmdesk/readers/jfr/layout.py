"""Turns a type the metadata declares into a decoding program and a field layout.

The program is a flat table of opcodes the decoding kernel runs over each record: inline structs are
expanded in place, every leaf value gets a slot in a fixed-width int64 row, an array takes two slots (where
its elements start in the arena, how many) and runs its element program once per element. The layout is the
same tree in JSON-able form — field names, kinds, slots, units — stored in the index so the model can turn
rows back into values without the metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdesk.readers.jfr.chunks import TypeInfo

OP_VARINT, OP_RAW1, OP_F4, OP_F8, OP_STRING, OP_ARRAY = range(6)
# primitive type -> (kind, opcode, bits, signed); bits/signed say how a varint is cut to the Java type
PRIMITIVES = {
    "long": (OP_VARINT, 64, 1), "int": (OP_VARINT, 32, 1), "short": (OP_VARINT, 16, 1),
    "char": (OP_VARINT, 16, 0), "byte": (OP_RAW1, 8, 1), "boolean": (OP_RAW1, 8, 0),
    "float": (OP_F4, 32, 0), "double": (OP_F8, 64, 0),
}
STRING = "java.lang.String"
MAX_DEPTH = 16


class LayoutError(ValueError):
    pass


@dataclass
class Program:
    ops: list[list[int]] = field(default_factory=list)

    def emit(self, op: int, slot: int, a: int = 0, b: int = 0, c: int = 0) -> int:
        self.ops.append([op, slot, a, b, c])
        return len(self.ops) - 1

    def array(self) -> np.ndarray:
        return np.array(self.ops, np.int64).reshape(-1, 5)


def compile_type(type_id: int, types: dict[int, TypeInfo]) -> tuple[np.ndarray, int, dict[str, Any]]:
    """(program, main program length, layout) for records/pool values of `type_id`. The main program is
    ops[:length]; element programs of arrays follow it."""
    prog = Program()
    pending: list[tuple[int, dict[str, Any], FieldSpec]] = []
    t = types[type_id]
    if t.name in PRIMITIVES or t.name == STRING:  # a pool of plain values (java.lang.String)
        leaf, width = _leaf(FieldSpec("", type_id, False, None), types, prog, 0, pending, 0)
        fields = [leaf]
    else:
        fields, width = _fields(t, types, prog, 0, pending, 0)
    length = len(prog.ops)
    while pending:  # element programs go after the main one, each a contiguous range
        at, node, spec = pending.pop(0)
        begin = len(prog.ops)
        element, ewidth = _leaf(spec, types, prog, 0, pending, 1)
        prog.ops[at][2:5] = [begin, len(prog.ops), ewidth]
        node["element"], node["width"] = element, ewidth
    ops = prog.array()
    if len(ops) == 0:
        ops = np.zeros((0, 5), np.int64)
    return ops, length, {"type": t.name, "width": width, "fields": fields, "simple": t.simple}


@dataclass
class FieldSpec:
    name: str
    type_id: int
    constant_pool: bool
    unit: str | None
    unsigned: bool = False


def _fields(t: TypeInfo, types: dict[int, TypeInfo], prog: Program, slot: int,
            pending: list[tuple[int, dict[str, Any], FieldSpec]], depth: int) -> tuple[list[dict[str, Any]], int]:
    if depth > MAX_DEPTH:
        raise LayoutError(f"type {t.name} nests deeper than {MAX_DEPTH} inline structs")
    nodes = []
    for f in t.fields:
        spec = FieldSpec(f.name, f.type_id, f.constant_pool, f.unit, f.unsigned)
        if f.array:
            at = prog.emit(OP_ARRAY, slot)
            node: dict[str, Any] = {"name": f.name, "kind": "array", "slot": slot,
                                    "type": types[f.type_id].name if f.type_id in types else "?"}
            pending.append((at, node, spec))
            nodes.append(node)
            slot += 2
        else:
            node, used = _leaf(spec, types, prog, slot, pending, depth + 1)
            nodes.append(node)
            slot += used
    return nodes, slot


def _leaf(spec: FieldSpec, types: dict[int, TypeInfo], prog: Program, slot: int,
          pending: list[tuple[int, dict[str, Any], FieldSpec]], depth: int) -> tuple[dict[str, Any], int]:
    """One non-array value at `slot`: (its layout node, slots used)."""
    t = types.get(spec.type_id)
    if t is None:
        raise LayoutError(f"field {spec.name} has undeclared type id {spec.type_id}")
    node: dict[str, Any] = {"name": spec.name, "type": t.name, "slot": slot}
    if spec.unit:
        node["unit"] = spec.unit
    if spec.constant_pool:
        prog.emit(OP_VARINT, slot, 64, 1)
        node["kind"] = "ref"
        return node, 1
    if t.name in PRIMITIVES:
        op, bits, signed = PRIMITIVES[t.name]
        prog.emit(op, slot, bits, 0 if spec.unsigned else signed)
        node["kind"] = t.name
        if spec.unsigned:
            node["unsigned"] = True
        return node, 1
    if t.name == STRING:
        prog.emit(OP_STRING, slot)
        node["kind"] = "string"
        return node, 1
    fields, end = _fields(t, types, prog, slot, pending, depth)
    node["kind"] = "struct"
    node["fields"] = fields
    return node, max(end - slot, 0)


def _shape(node: dict[str, Any]) -> Any:
    """A node without its row slots (array elements keep theirs: they are relative to the element)."""
    if node["kind"] == "struct":
        return (node["name"], node["type"], "struct", tuple(_shape(f) for f in node["fields"]))
    if node["kind"] == "array":
        return (node["name"], node.get("type"), "array", node.get("width"), repr(node.get("element")))
    return (node["name"], node["type"], node["kind"], node.get("unit"), node.get("unsigned", False))


def _slots(node: dict[str, Any]) -> list[int]:
    """The row slots a node occupies, in order."""
    if node["kind"] == "struct":
        return [s for f in node["fields"] for s in _slots(f)]
    if node["kind"] == "array":
        return [node["slot"], node["slot"] + 1]
    return [node["slot"]]


def _moved(node: dict[str, Any], slot_map: dict[int, int]) -> dict[str, Any]:
    out = dict(node)
    if node["kind"] == "struct":
        out["fields"] = [_moved(f, slot_map) for f in node["fields"]]
    else:
        out["slot"] = slot_map[node["slot"]]
    return out


def merge_layouts(base: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[int, int], list[int]]:
    """A layout holding both `base`'s fields and `new`'s — the same field (name, type, kind, unit) shares its
    slots, any other is appended — with where each of `new`'s row slots goes and which merged fields `new`
    has, in its order. This is how chunks written by different JDKs (a field added, a unit or signedness
    changed: jdk.ThreadSleep.time is in ms in JDK 17, in ns in JDK 25) share one table."""
    fields = list(base["fields"])
    width = int(base["width"])
    slot_map: dict[int, int] = {}
    mine: list[int] = []
    for f in new["fields"]:
        same = next((i for i, old in enumerate(fields) if _shape(old) == _shape(f)), None)
        if same is not None:
            slot_map.update(zip(_slots(f), _slots(fields[same]), strict=True))
        else:
            own = {s: width + i for i, s in enumerate(_slots(f))}
            width += len(own)
            slot_map.update(own)
            same = len(fields)
            fields.append(_moved(f, own))
        mine.append(same)
    return {**base, "fields": fields, "width": width}, slot_map, mine


def remap_slots(prog: np.ndarray, length: int, slot_map: dict[int, int]) -> np.ndarray:
    """The program with its row slots (ops of the main program) moved as slot_map says."""
    out = prog.copy()
    for i in range(length):
        out[i, 1] = slot_map[int(out[i, 1])]
    return out
