"""A Python heap snapshot on the heap-graph model: thread nodes, references named by dict key, slot or local,
strings' values, threads with their frames' locals, and the Overview."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from pmdesk.index.store import StoredArray, load_array
from pmdesk.model.dump import Dump
from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.histogram import graph_facts, index_facts
from pmdesk.model.heap.objects import FieldValue, ObjectDetails, ObjectReader, clip
from pmdesk.model.heap.report import FrameLocals, ThreadInfo
from pmdesk.readers.pyheap.reader import words

REFERENCES_SHOWN = 200


class PyHeapGraph(HeapGraph):
    """A Python heap's graph: the objects, then one node per thread."""

    def object_reader(self) -> PyObjectReader:
        return PyObjectReader(self)

    @functools.cached_property
    def thread_names(self) -> dict[int, str]:
        return {node: f"thread {name} ({ident})" for node, ident, name in
                self.conn.execute("SELECT node, ident, name FROM pyheap_thread")}

    def node_label(self, node: int) -> str | None:
        return self.thread_names.get(node) if node >= self.n_objects else None

    @functools.cached_property
    def labelled_nodes(self) -> np.ndarray:
        """The object of each reference label, in order (labels follow their object's record)."""
        return load_array(self.conn, "pyheap_label.node").astype(np.int64)

    @functools.cached_property
    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """(nodes with a value, sorted; their preview strings)."""
        node = load_array(self.conn, "pyheap_value.node").astype(np.int64)
        sid = load_array(self.conn, "pyheap_value.string").astype(np.int64)
        order = np.argsort(node, kind="stable")
        return node[order], sid[order]


class PyObjectReader(ObjectReader):
    """A Python heap's objects: references (read again from the snapshot) with their names, values."""

    g: PyHeapGraph

    def _text(self, sids: list[int]) -> dict[int, str]:
        if not sids:
            return {}
        marks = ",".join("?" * len(sids))
        return dict(self.conn.execute(f"SELECT sid, text FROM pyheap_string WHERE sid IN ({marks})", sids))

    def strings(self, nodes: list[int]) -> dict[int, str]:
        """The preview of each str (or bytes, number) among `nodes`."""
        have, sid = self.g.values
        out = {}
        idx = {}
        for v in nodes:
            i = int(np.searchsorted(have, v))
            if i < len(have) and have[i] == v:
                idx[v] = int(sid[i])
        texts = self._text(sorted(set(idx.values())))
        for v, s in idx.items():
            out[v] = texts.get(s, "")
        return out

    def _references(self, node: int) -> list[tuple[int, str]]:
        """(target node or -1, name) of each reference of the object, in the order the snapshot has them."""
        g = self.g
        if node >= g.n_objects:
            return [(f, f"frame {depth}") for f, depth in self.conn.execute(
                "SELECT node, depth FROM pyheap_frame WHERE thread = ? AND node IS NOT NULL ORDER BY depth", (node,))]
        first = int(StoredArray(self.conn, "pyheap_object.refs_word").take([node])[0])
        n = int(StoredArray(self.conn, "pyheap_object.refs").take([node])[0])
        with words(g.dump.path) as (_mm, w):
            ids = w[first:first + min(n, 100_000)].astype(np.uint64).tolist()
        names = {}
        labelled = g.labelled_nodes
        lo, hi = np.searchsorted(labelled, node), np.searchsorted(labelled, node, side="right")
        if hi > lo:
            pos = StoredArray(self.conn, "pyheap_label.position").take(list(range(lo, hi)))
            sid = StoredArray(self.conn, "pyheap_label.string").take(list(range(lo, hi)))
            texts = self._text(sorted(set(sid.tolist())))
            names = {int(p): texts.get(int(s), "") for p, s in zip(pos.tolist(), sid.tolist(), strict=True)}
        out = []
        for i, oid in enumerate(ids):
            t = g.node_of(oid)
            out.append((-1 if t is None else t, names.get(i, "")))
        out += [(-1 if target is None else target, name) for name, target in self.conn.execute(
            "SELECT name, target FROM pyheap_local WHERE frame = ?", (node,))]
        return out

    def edge_labels(self, src: int, targets: list[int]) -> dict[int, str]:
        labels: dict[int, str] = {}
        kind = self.g.class_of(src)
        for i, (t, name) in enumerate(self._references(src)):
            if t >= 0 and t not in labels:
                labels[t] = name or (f"[{i}]" if kind in ("list", "tuple") else "")
        return {t: labels.get(t, "") for t in targets}

    def fill_contents(self, d: ObjectDetails) -> None:
        g = self.g
        node = d.obj.node
        d.kind = "thread" if node >= g.n_objects else "object"
        text = self.strings([node]).get(node)
        if text is not None:
            d.text = text
        kind = d.obj.class_name
        refs = self._references(node)[:REFERENCES_SHOWN]
        shown = self.strings([t for t, _n in refs if t >= 0])
        for i, (t, name) in enumerate(refs):
            label = name or (f"[{i}]" if kind in ("list", "tuple") else f"<{i}>")
            what = g.label(t) if t >= 0 else "(not in the snapshot)"
            if t in shown:
                what = f"{clip(repr(shown[t]))} ({what})"
            d.fields.append(FieldValue(label, "ref", int(g.ids[t]) if t >= 0 else None, what, t if t >= 0 else None))

    def root_kinds(self, node: int) -> list[str]:
        g = self.g
        if not g.is_root[node]:
            return []
        if node >= g.n_objects:
            return ["thread"]
        named = [n for (n,) in self.conn.execute("SELECT name FROM pyheap_root WHERE node = ?", (node,))]
        return named or ["held outside the heap (C code or the interpreter)"]

    def collection_size(self, node: int) -> int | None:
        if node >= self.g.n_objects or self.g.class_of(node) not in ("list", "tuple", "dict", "set", "frozenset"):
            return None
        n = int(StoredArray(self.conn, "pyheap_object.refs").take([node])[0])
        return n // 2 if self.g.class_of(node) == "dict" else n

    def is_collection(self, class_name: str) -> bool:
        return class_name in ("list", "tuple", "dict", "set", "frozenset")

    def threads(self) -> list[ThreadInfo]:
        g = self.g
        out = []
        frames: dict[int, list[tuple[int, str, str, int | None]]] = {}
        for thread, depth, fn, file, line, fnode in self.conn.execute(
                "SELECT thread, depth, function, file, line, node FROM pyheap_frame ORDER BY thread, depth"):
            frames.setdefault(thread, []).append((depth, fn, f"{file}:{line}", fnode))
        local: dict[tuple[int, int], list[int]] = {}
        for thread, depth, target in self.conn.execute("SELECT thread, depth, target FROM pyheap_local "
                                                       "WHERE target IS NOT NULL"):
            local.setdefault((thread, depth), []).append(target)
        for node, _ident, _name in self.conn.execute("SELECT node, ident, name FROM pyheap_thread ORDER BY node"):
            fr = [FrameLocals(depth, fn, where, g.objs(sorted(set(local.get((node, depth), [])))))
                  for depth, fn, where, _f in frames.get(node, [])]
            out.append(ThreadInfo(g.obj(node), g.label(node), fr, []))
        return out


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs describing a Python heap snapshot, in display order."""
    m = dump.meta
    when = m.get("pyheap.time")
    out = [
        ("File", dump.path),
        ("Format", "Python heap snapshot (pmdesk.capture, version 1)"),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Taken", dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else "?"),
        ("Python", str(m.get("pyheap.python", "?")).split("\n")[0]),
        ("Process", f"pid {m.get('pyheap.pid', '?')}: {' '.join(m.get('pyheap.argv') or [])}"),
        ("Capture", f"{m.get('pyheap.capture_seconds', 0):.2f} s"),
        ("Objects", f"{m.get('summary.objects', 0):,}"),
        ("Types with instances", f"{m.get('summary.classes', 0):,}"),
        ("Heap (sys.getsizeof)", f"{m.get('summary.shallow_bytes', 0):,} bytes"),
        ("Threads", f"{m.get('summary.threads', 0):,}"),
    ]
    if m.get("pyheap.truncated_at") is not None:
        out.insert(3, ("Truncated", f"at byte {m['pyheap.truncated_at']:,}"))
    return out + graph_facts(dump, m.get("pyheap.truncated_at") is not None, "threads") + index_facts(dump)
