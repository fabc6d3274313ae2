"""The Java heap dump's graph model: HPROF keeps its objects' columns as the reader stored them
(hprof_object.*: id, class, array length, record offset; shallow sizes from the class table and the object
layout), and adds one node per class — its java.lang.Class mirror — after the objects."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from pmdesk.index.hprof.objects import SizeModel
from pmdesk.index.store import StoredArray
from pmdesk.model.dump import Dump
from pmdesk.model.heap.graph import HeapGraph, HeapObject
from pmdesk.model.heap.histogram import graph_facts, index_facts
from pmdesk.model.heap.hprof_objects import HprofObjectReader
from pmdesk.readers.hprof.records import ROOT_NAMES


class HprofGraph(HeapGraph):
    """A Java heap dump's graph: objects, then class mirrors."""

    PRELOAD = (*HeapGraph.PRELOAD, "_object_class_all", "_array_length_all", "_offsets", "_java_lang_class",
               "_mirror_ids", "_size_model", "_mirror_shallow")

    def object_reader(self) -> HprofObjectReader:
        return HprofObjectReader(self)

    # ---- per-node columns (each loaded on first use: a query touches only what it needs)
    @functools.cached_property
    def class_node_idx(self) -> np.ndarray:
        return self._array("graph.class_node_idx").astype(np.int32, copy=False)

    @functools.cached_property
    def _java_lang_class(self) -> tuple[int, int]:
        row = self.conn.execute("SELECT class_idx, instance_bytes FROM hprof_class "
                                "WHERE name = 'java.lang.Class'").fetchone()
        return (row[0], row[1]) if row else (0, 0)

    @functools.cached_property
    def _mirror_ids(self) -> np.ndarray:
        class_ids = dict(self.conn.execute("SELECT class_idx, class_id FROM hprof_class"))
        return np.array([class_ids[int(c)] & 0xFFFFFFFFFFFFFFFF for c in self.class_node_idx], np.uint64)

    @functools.cached_property
    def ids(self) -> np.ndarray:
        """uint64 id of every node (objects, then class mirrors)."""
        return np.concatenate([self._array("hprof_object.id").astype(np.uint64, copy=False), self._mirror_ids])

    @functools.cached_property
    def _object_class(self) -> np.ndarray:
        return self._array("hprof_object.class_idx").astype(np.int32, copy=False)

    @functools.cached_property
    def _array_length(self) -> np.ndarray:
        return self._array("hprof_object.array_length").astype(np.int32, copy=False)

    @functools.cached_property
    def _object_class_all(self) -> np.ndarray:
        """class_idx per node as stored for objects (mirrors: java.lang.Class), for _column()."""
        return self.node_class

    @functools.cached_property
    def _array_length_all(self) -> np.ndarray:
        return np.concatenate([self._array_length, np.full(len(self.class_node_idx), -1, np.int32)])

    @functools.cached_property
    def node_class(self) -> np.ndarray:
        """class_idx of every node (java.lang.Class for the mirrors)."""
        return np.concatenate([self._object_class,
                               np.full(len(self.class_node_idx), self._java_lang_class[0], np.int32)])

    @functools.cached_property
    def shallow(self) -> np.ndarray:
        objs = self._size_model.shallow_bytes(self._object_class, self._array_length)
        return np.concatenate([objs, self._mirror_shallow])

    @functools.cached_property
    def _mirror_shallow(self) -> np.ndarray:
        m = dict(self.conn.execute("SELECT class_idx, mirror_bytes FROM hprof_class"))
        return np.array([m.get(int(c)) or self._java_lang_class[1] for c in self.class_node_idx], np.int64)

    @functools.cached_property
    def _size_model(self) -> SizeModel:
        return SizeModel.of(self.conn)

    @functools.cached_property
    def _offsets(self) -> np.ndarray:
        return self._array("hprof_object.offset").astype(np.uint64, copy=False)

    def offset(self, node: int) -> int | None:
        """Where the object's record starts in the (decompressed) dump; None for class mirrors."""
        return int(self._offsets[node]) if node < self.n_objects else None

    def array_length(self, node: int) -> int:
        return int(self._array_length[node]) if node < self.n_objects else -1

    @functools.cached_property
    def class_names(self) -> dict[int, str]:
        return dict(self.conn.execute("SELECT class_idx, name FROM hprof_class"))

    @functools.cached_property
    def _id_index(self) -> tuple[np.ndarray, np.ndarray | None, dict[int, int]]:
        """Object ids for binary search (dump order when it is already sorted, as HotSpot writes it),
        the sorting permutation otherwise, and the class mirrors' ids."""
        obj = self.ids[:self.n_objects]
        mirrors = {int(i): self.n_objects + k for k, i in enumerate(self.ids[self.n_objects:])}
        if len(obj) < 2 or bool(np.all(obj[1:] >= obj[:-1])):
            return obj, None, mirrors
        order = np.argsort(obj, kind="stable")
        return obj[order], order, mirrors

    def class_of(self, node: int) -> str:
        if node >= self.n_objects:
            return "java.lang.Class"
        return self.class_names.get(int(self._column("_object_class_all", "hprof_object.class_idx", [node])[0]), "?")

    def represented_class(self, node: int) -> str | None:
        """For a class node, the name of the class it is the mirror of."""
        if node < self.n_objects:
            return None
        return self.class_names.get(int(self.class_node_idx[node - self.n_objects]))

    def _column(self, name: str, stored: str, nodes: list[int]) -> np.ndarray:
        """Values of a per-node column for a few nodes: from the loaded array, or read in place."""
        if name in self.__dict__:
            return getattr(self, name)[nodes]
        if stored not in self._stored:
            self._stored[stored] = StoredArray(self.conn, stored)
        objs = [v for v in nodes if v < self.n_objects]
        got = dict(zip(objs, self._stored[stored].take(objs).tolist(), strict=True))
        for v in nodes:
            if v >= self.n_objects:  # class mirrors: from the class table
                k = v - self.n_objects
                got[v] = {"ids": lambda k=k: int(self._mirror_ids[k]),
                          "_object_class_all": lambda: self._java_lang_class[0],
                          "_array_length_all": lambda: -1}[name]()
        return np.array([got[v] for v in nodes], dtype=np.uint64 if name == "ids" else np.int64)

    def objs(self, nodes: list[int]) -> list[HeapObject]:
        """HeapObjects for a few nodes, without loading whole columns that are not loaded yet."""
        nodes = [int(v) for v in nodes]
        if not nodes:
            return []
        ids = self._column("ids", "hprof_object.id", nodes)
        cls = self._column("_object_class_all", "hprof_object.class_idx", nodes)
        length = self._column("_array_length_all", "hprof_object.array_length", nodes)
        if "shallow" in self.__dict__:
            shallow = self.shallow[nodes]
        else:
            shallow = self._size_model.shallow_bytes(cls, length)
            for k, v in enumerate(nodes):
                if v >= self.n_objects:
                    shallow[k] = self._mirror_shallow[v - self.n_objects]
        return [HeapObject(v, int(ids[k]) & 0xFFFFFFFFFFFFFFFF, self._class_name_of(v, int(cls[k])), int(shallow[k]),
                           int(self.retained[v])) for k, v in enumerate(nodes)]

    def _class_name_of(self, node: int, class_idx: int) -> str:
        return "java.lang.Class" if node >= self.n_objects else self.class_names.get(class_idx, "?")


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs describing a Java heap dump, in display order."""
    m = dump.meta
    ts = m.get("hprof.timestamp_ms")
    when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "?"
    threads = dump.conn.execute("SELECT COUNT(*) FROM hprof_root WHERE kind = 8").fetchone()[0]
    loaders = dump.conn.execute("SELECT COUNT(DISTINCT loader_id) FROM hprof_class WHERE class_id IS NOT NULL "
                                "AND loader_id != 0").fetchone()[0]
    roots = ", ".join(f"{n:,} {ROOT_NAMES.get(k, hex(k))}" for k, n in dump.conn.execute(
        "SELECT kind, COUNT(*) AS n FROM hprof_root GROUP BY kind ORDER BY n DESC"))
    out = [
        ("File", dump.path),
        ("Format", f"{m.get('hprof.version', 'HPROF')}" + (" (gzip)" if m.get("hprof.compressed") else "")),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Dumped at", when),
        ("Identifier size", f"{m.get('hprof.id_size')} bytes"),
        ("Object layout", f"{m.get('hprof.layout')} (header {m.get('hprof.object_header_bytes')} B, "
                          f"reference {m.get('hprof.reference_bytes')} B)"),
        ("Objects", f"{m.get('summary.objects', 0):,}"),
        ("Classes with instances", f"{m.get('summary.classes', 0):,}"),
        ("Heap (shallow)", f"{m.get('summary.shallow_bytes', 0):,} bytes"),
        ("Class loaders", f"{loaders:,} (besides the bootstrap loader)"),
        ("GC roots", f"{m.get('summary.roots', 0):,} in the dump" + (f": {roots}" if roots else "")),
        ("Threads", f"{threads:,}"),
    ]
    out += graph_facts(dump, m.get("hprof.truncated_at") is not None, "class objects") + index_facts(dump)
    if m.get("hprof.truncated_at") is not None:
        out.insert(3, ("Truncated", f"at byte {m['hprof.truncated_at']:,}"))
    return out
