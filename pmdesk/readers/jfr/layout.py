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
