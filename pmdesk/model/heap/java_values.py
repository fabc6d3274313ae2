"""Reading a Java heap's common objects as values: a field followed to its object, a String's text, a byte[]'s
bytes, the entries of a HashMap/LinkedHashMap/TreeMap and the elements of an ArrayList/LinkedList/immutable
list, unwrapping Collections' unmodifiable and synchronized wrappers — what the request recognisers
(requests.py) read a server's objects with. Each bounded: a map or list of a hostile dump is cut at LIMIT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pmdesk.model.heap.graph import HeapGraph

LIMIT = 10_000   # entries or elements read from one collection
WRAPPERS = {"java.util.Collections$UnmodifiableMap": "m", "java.util.Collections$SynchronizedMap": "m",
            "java.util.Collections$UnmodifiableRandomAccessList": "list", "java.util.Collections$UnmodifiableList":
            "list", "java.util.Collections$SynchronizedRandomAccessList": "list",
            "java.util.Collections$UnmodifiableCollection": "c"}


class JavaValues:
    def __init__(self, g: HeapGraph) -> None:
        self.g = g
        self.reader = g.object_reader()

    def cls(self, node: int | None) -> str | None:
        return self.g.class_of(node) if node is not None else None

    def ref(self, node: int | None, name: str) -> int | None:
        """The object a reference field points to (None: null, or not an object of the dump)."""
        if node is None:
            return None
        v = self.reader.field(node, name)
        return self.g.node_of(int(v)) if isinstance(v, int) and v else None

    def value(self, node: int | None, name: str) -> Any:
        return self.reader.field(node, name) if node is not None else None

    def text(self, node: int | None) -> str | None:
        """A String's (or boxed number's) value."""
        return self.reader.values([node]).get(node) if node is not None else None

    def string_field(self, node: int | None, name: str) -> str | None:
        return self.text(self.ref(node, name))

    def unwrap(self, node: int | None) -> int | None:
        for _ in range(8):
            field = WRAPPERS.get(self.cls(node) or "")
            if field is None:
                return node
            node = self.ref(node, field)
        return node

    def elements(self, array: int | None) -> list[int | None]:
        """An object array's elements as nodes (None for null)."""
        if array is None:
            return []
        return [self.g.node_of(int(v)) if v else None for v in self.reader.array_ids(array)[:LIMIT]]

    def map_entries(self, node: int | None) -> Iterator[tuple[int | None, int | None]]:
        """(key, value) nodes of a Java map."""
        node = self.unwrap(node)
        name = self.cls(node) or ""
        if name.endswith("TreeMap"):
            yield from self._tree(self.ref(node, "root"))
            return
        seen = 0
        for bucket in self.elements(self.ref(node, "table")):
            entry = bucket
            while entry is not None and seen < LIMIT:
                yield self.ref(entry, "key"), self.ref(entry, "value")
                seen += 1
                entry = self.ref(entry, "next")

    def _tree(self, root: int | None) -> Iterator[tuple[int | None, int | None]]:
        todo, seen = [root], 0
        while todo and seen < LIMIT:
            e = todo.pop()
            if e is None:
                continue
            yield self.ref(e, "key"), self.ref(e, "value")
            seen += 1
            todo += [self.ref(e, "right"), self.ref(e, "left")]

    def list_elements(self, node: int | None) -> list[int | None]:
        """The elements of a Java list (ArrayList, LinkedList, Arrays$ArrayList, immutable lists)."""
        node = self.unwrap(node)
        name = self.cls(node) or ""
        if name == "java.util.LinkedList":
            out, e = [], self.ref(node, "first")
            while e is not None and len(out) < LIMIT:
                out.append(self.ref(e, "item"))
                e = self.ref(e, "next")
            return out
        if name == "java.util.ImmutableCollections$List12":
            return [x for x in (self.ref(node, "e0"), self.ref(node, "e1")) if x is not None]
        for field in ("elementData", "a", "elements"):
            arr = self.ref(node, field)
            if arr is not None:
                items = self.elements(arr)
                size = self.value(node, "size")
                return items[:size] if isinstance(size, int) and 0 <= size <= len(items) else items
        return []

    def bytes_of(self, node: int | None) -> bytes | None:
        """A byte[]'s contents."""
        return self.reader.array_bytes(node) if node is not None else None
