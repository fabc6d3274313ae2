"""Turns a JFR recording's stored value tables back into values: an event (or constant-pool entry) as the
nested fields `jfr print --json` shows — references resolved (threads, stack traces with frames, methods,
classes…), simple types (symbols, frame types, GC names…) as their one value, times in nanoseconds
(timestamps since the epoch), floats as floats."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from pmdesk.index.store import load_array
from pmdesk.model.dump import Dump


@dataclass
class Table:
    name: str
    role: str
    layout: dict[str, Any]
    width: int
    matrix: np.ndarray
    arena: np.ndarray
    variant: np.ndarray | None = None  # per row, which declaration of the type (layout["variants"]) it has

    @property
    def fields(self) -> list[dict[str, Any]]:
        return self.layout["fields"]

    def column(self, name: str) -> np.ndarray | None:
        """A top-level field's values, one per row (None if the type has no such scalar field). Where chunks
        declared the field differently (variants), each row's value comes from its own declaration."""
        nodes = [(i, f) for i, f in enumerate(self.fields) if f["name"] == name and f["kind"] not in ("struct",
                                                                                                     "array")]
        if not nodes:
            return None
        if self.variant is None or len(nodes) == 1:
            return self.matrix[:, nodes[0][1]["slot"]]
        out = np.full(len(self.matrix), -1, np.int64)
        for i, f in nodes:
            has = np.array([i in v for v in self.layout["variants"]])[self.variant]
            out[has] = self.matrix[has, f["slot"]]
        return out


class Values:
    """Cached access to a recording's value tables and strings; resolved pool entries are memoised."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self._tables: dict[tuple[str, str], Table | None] = {}
        self._strings: list[str | None] | None = None
        self._resolved: dict[tuple[str, int], Any] = {}
        self.simple = set(dump.meta.get("jfr.simple_types") or [])

    def table(self, name: str, role: str = "event") -> Table | None:
        key = (role, name)
        if key not in self._tables:
            row = self.dump.conn.execute("SELECT width, layout FROM jfr_table WHERE role = ? AND name = ?",
                                         key).fetchone()
            if row is None:
                self._tables[key] = None
            else:
                width, layout = row
                conn = self.dump.conn
                matrix = load_array(conn, f"jfr.rows:{role}:{name}").astype(np.int64, copy=False).reshape(-1, width)
                arena = load_array(conn, f"jfr.arena:{role}:{name}").astype(np.int64, copy=False)
                layout = json.loads(layout)
                variant = load_array(conn, f"jfr.variant:{role}:{name}") if "variants" in layout else None
                self._tables[key] = Table(name, role, layout, width, matrix, arena, variant)
        return self._tables[key]

    @property
    def strings(self) -> list[str | None]:
        if self._strings is None:
            self._strings = [t for _i, t in self.dump.conn.execute("SELECT id, text FROM jfr_string ORDER BY id")]
        return self._strings

    def row(self, table: Table, row: int) -> dict[str, Any]:
        """One row's fields as a dict (nested, references resolved)."""
        base = row * table.width
        flat = table.matrix.reshape(-1)
        if table.variant is not None:  # only the fields this row's chunk declared, in its order
            fields = [table.fields[i] for i in table.layout["variants"][int(table.variant[row])]]
            return {f["name"]: self._value(f, flat, base, table) for f in fields}
        return {f["name"]: self._value(f, flat, base, table) for f in table.fields}

    def pool(self, type_name: str, row: int) -> Any:
        """A constant-pool entry's value (None for row -1)."""
        if row < 0:
            return None
        key = (type_name, row)
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = None  # a cycle resolves to null
        t = self.table(type_name, "pool")
        if t is None or row >= len(t.matrix):
            return None
        value: Any = self.row(t, row)
        if len(t.fields) == 1 and (t.layout.get("simple") or not t.fields[0]["name"]):
            value = next(iter(value.values()))
        self._resolved[key] = value
        return value

    def _value(self, node: dict[str, Any], buf: np.ndarray, base: int, table: Table) -> Any:
        kind = node["kind"]
        if kind == "struct":
            value = {f["name"]: self._value(f, buf, base, table) for f in node["fields"]}
            if node["type"] in self.simple and len(value) == 1:
                return next(iter(value.values()))
            return value
        if kind == "array":
            start, count = int(buf[base + node["slot"]]), int(buf[base + node["slot"] + 1])
            if count < 0:
                return None
            w = node["width"]
            return [self._value(node["element"], table.arena, start + i * w, table) for i in range(count)]
        return self.scalar(node, int(buf[base + node["slot"]]))

    def scalar(self, node: dict[str, Any], v: int) -> Any:
        kind = node["kind"]
        if kind == "ref":
            return self.pool(node["type"], v)
        if kind == "string":
            return self.strings[v] if 0 <= v < len(self.strings) else None
        if kind == "boolean":
            return v != 0
        if kind == "char":
            return chr(v)
        if kind == "float":
            return struct.unpack(">f", (v & 0xFFFFFFFF).to_bytes(4, "big"))[0]
        if kind == "double":
            return struct.unpack(">d", (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big"))[0]
        if v < 0 and node.get("unsigned"):
            return v + (1 << 64)
        return v
