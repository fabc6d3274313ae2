"""Indexes a Python heap snapshot (pmdesk/capture's format): objects with their type and size, the graph's
thread nodes, labels of references (dict keys, slots, locals), strings' previews and hashes, threads and
frames with their locals, sys.modules as a root."""

from __future__ import annotations

import contextlib
import json
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.pyheap import MAGIC
from pmdesk.readers.pyheap import kernels as K

CHUNK = 1 << 20


@contextlib.contextmanager
def words(path: str) -> Iterator[tuple[mmap.mmap, np.ndarray]]:
    """The snapshot mapped read-only, and its words after the header."""
    size = os.path.getsize(path)
    if size < len(MAGIC):
        raise DumpFormatError(path, "is too short to be a Python heap snapshot", 0)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        if mm[:len(MAGIC)] != MAGIC:
            raise DumpFormatError(path, "does not start with 'pmdesk pyheap 1': not a Python heap snapshot", 0)
        yield mm, np.frombuffer(mm, "<i8", count=(size - len(MAGIC)) // 8, offset=len(MAGIC))
    finally:
        with contextlib.suppress(BufferError):
            mm.close()


@dataclass
class Walked:
    obj: np.ndarray        # (n, 5) int64: id, type id, size, first reference's word, references
    refs: np.ndarray       # every reference id, object after object
    labels: np.ndarray     # (m, 3): object number, position among its references, string number
    strings: np.ndarray    # (s, 2): word where the bytes start, byte length
    values: np.ndarray     # (v, 4): id, preview string, hash, length
    other: np.ndarray      # (o, 2): tag, word
    end_objects: int | None  # what the END record says was written; None when the snapshot has no END
    cut_at: int | None     # byte offset of a record running past the end


def walk(path: str, w: np.ndarray, progress: Progress) -> Walked:
    ctr = np.zeros(K.N_C, np.int64)
    e1 = np.empty(0, np.int64)
    e2 = np.empty((0, 2), np.int64)
    st = K.walk(w, False, np.empty((0, 5), np.int64), e1, np.empty((0, 3), np.int64), e2,
                np.empty((0, 4), np.int64), e2, ctr)
    if st == K.W_BAD:
        raise DumpFormatError(path, f"has a damaged record (tag {int(w[ctr[K.C_POS]])})",
                              len(MAGIC) + 8 * int(ctr[K.C_POS]))
    progress.update(0.3, "reading the snapshot's records")
    counts = ctr.copy()
    arrays = (np.empty((counts[K.C_OBJ], 5), np.int64), np.empty(counts[K.C_REFS], np.int64),
              np.empty((counts[K.C_LABELS], 3), np.int64), np.empty((counts[K.C_STRINGS], 2), np.int64),
              np.empty((counts[K.C_VALUES], 4), np.int64), np.empty((counts[K.C_OTHER], 2), np.int64))
    ctr[:] = 0
    K.walk(w, True, *arrays, ctr)
    cut = len(MAGIC) + 8 * int(counts[K.C_POS]) if st == K.W_CUT else None
    return Walked(*arrays, int(counts[K.C_END_OBJECTS]) if st == K.W_DONE else None, cut)


@dataclass
class Others:
    types: dict[int, int] = field(default_factory=dict)              # type id -> name string
    roots: list[tuple[int, int, int]] = field(default_factory=list)  # (kind, id, name string)
    threads: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (ident, name string, frame ids)
    frames: dict[int, tuple[int, int, int, list[tuple[int, int]]]] = field(default_factory=dict)
    # frame id -> (function string, file string, line, [(local name string, id)])
    meta: int | None = None


def others(w: np.ndarray, other: np.ndarray) -> Others:
    out = Others()
    for tag, p in other.tolist():
        if tag == K.TYPE:
            out.types.setdefault(int(w[p + 1]), int(w[p + 2]))
        elif tag == K.ROOT:
            out.roots.append((int(w[p + 1]), int(w[p + 2]), int(w[p + 3])))
        elif tag == K.THREAD:
            n = int(w[p + 3])
            out.threads.append((int(w[p + 1]), int(w[p + 2]), w[p + 4:p + 4 + n].tolist()))
        elif tag == K.FRAME:
            n = int(w[p + 5])
            pairs = w[p + 6:p + 6 + 2 * n].reshape(-1, 2).tolist()
            out.frames[int(w[p + 1])] = (int(w[p + 2]), int(w[p + 3]), int(w[p + 4]), [tuple(x) for x in pairs])
        elif tag == K.META:
            out.meta = int(w[p + 1])
    return out


def decode_strings(mm: mmap.mmap, strings: np.ndarray, progress: Progress) -> list[str]:
    out = []
    base = len(MAGIC)
    for k, (start, n) in enumerate(strings.tolist()):
        if k % 65536 == 0:
            progress.update(0.4, "reading the snapshot's strings")
        a = base + 8 * start
        out.append(mm[a:a + n].decode("utf-8", "replace"))
    return out


class PyHeapScan:
    """One indexing run over a Python heap snapshot."""

    def __init__(self, path: str, sink: IndexSink, progress: Progress) -> None:
        self.path = path
        self.sink = sink
        self.progress = progress

    def run(self) -> None:
        with words(self.path) as (mm, w):
            wk = walk(self.path, w, self.progress.part(0.0, 0.5))
            texts = decode_strings(mm, wk.strings, self.progress)
            oth = others(w, wk.other)
            self._write(wk, texts, oth)

    def _write(self, wk: Walked, texts: list[str], oth: Others) -> None:
        sink = self.sink
        path = self.path

        def text(sid: int) -> str:
            return texts[sid] if 0 <= sid < len(texts) else "?"

        obj = wk.obj
        n_obj = len(obj)
        negative = int(np.count_nonzero(obj[:, 2] < 0)) if n_obj else 0
        if negative:
            obj[obj[:, 2] < 0, 2] = 0
            sink.diagnostic(None, "pyheap.size", f"{negative:,} objects have a negative size: the snapshot is "
                            "damaged; they count 0 bytes")
        ids = obj[:, 0].astype(np.uint64)
        order = np.argsort(ids, kind="stable")
        dup = int(np.count_nonzero(ids[order][1:] == ids[order][:-1])) if n_obj > 1 else 0
        if dup:
            sink.diagnostic(None, "pyheap.duplicate_ids", f"{dup:,} objects repeat an earlier object's id: the "
                            "snapshot is damaged; references go to the first")
        self.progress.update(0.6, "naming the objects")
        type_ids, type_of = np.unique(obj[:, 1], return_inverse=True)
        names = [text(oth.types[t]) if t in oth.types else "?" for t in type_ids.tolist()]
        kinds = ["object"] * len(names)
        thread_cls = len(names)
        names.append("thread")
        kinds.append("thread")
        n_threads = len(oth.threads)
        node_id = np.concatenate([ids, np.array([t[0] & 0xFFFFFFFFFFFFFFFF for t in oth.threads], np.uint64)])
        node_cls = np.concatenate([type_of.astype(np.int32), np.full(n_threads, thread_cls, np.int32)])
        shallow = np.concatenate([obj[:, 2], np.zeros(n_threads, np.int64)])
        sink.insert("heap_class", ("class_idx", "name", "kind"), list(zip(range(len(names)), names, kinds,
                                                                          strict=True)))
        for name, arr in (("heap_node.id", node_id), ("heap_node.class_idx", node_cls), ("heap_node.shallow", shallow),
                          ("pyheap_object.refs_word", obj[:, 3]), ("pyheap_object.refs", obj[:, 4]),
                          ("pyheap_label.node", wk.labels[:, 0]), ("pyheap_label.position", wk.labels[:, 1]),
                          ("pyheap_label.string", wk.labels[:, 2])):
            for a in range(0, max(len(arr), 1), CHUNK):
                sink.array_chunk(name, arr[a:a + CHUNK])
        counts = np.bincount(type_of, minlength=len(names))
        sums = np.bincount(type_of, weights=obj[:, 2], minlength=len(names))
        sink.insert("heap_histogram", ("class_idx", "name", "count", "shallow_bytes"),
                    [(c, names[c], int(counts[c]), int(sums[c])) for c in np.nonzero(counts)[0].tolist()])
        self.progress.update(0.7, "writing strings")
        sink.insert("pyheap_string", ("sid", "text"), enumerate(texts))

        def node_of(values: np.ndarray) -> np.ndarray:
            i = np.searchsorted(ids[order], values.astype(np.uint64))
            i = np.minimum(i, max(n_obj - 1, 0))
            found = ids[order][i] == values.astype(np.uint64) if n_obj else np.zeros(len(values), bool)
            return np.where(found, order[i] if n_obj else -1, -1)

        val_nodes = node_of(wk.values[:, 0]) if len(wk.values) else np.empty(0, np.int64)
        keep = val_nodes >= 0
        for name, arr in (("pyheap_value.node", val_nodes[keep]), ("pyheap_value.string", wk.values[keep, 1]),
                          ("pyheap_value.hash", wk.values[keep, 2]), ("pyheap_value.length", wk.values[keep, 3])):
            for a in range(0, max(len(arr), 1), CHUNK):
                sink.array_chunk(name, arr[a:a + CHUNK])
        thread_rows, frame_rows, local_rows = [], [], []
        for k, (ident, name_sid, frame_ids) in enumerate(oth.threads):
            thread_node = n_obj + k
            thread_rows.append((thread_node, ident, text(name_sid)))
            fnodes = node_of(np.array(frame_ids, np.int64)).tolist() if frame_ids else []
            for depth, (fid, fnode) in enumerate(zip(frame_ids, fnodes, strict=True)):
                fn, file, line, locs = oth.frames.get(fid, (-1, -1, 0, []))
                frame_rows.append((fnode if fnode >= 0 else None, thread_node, depth, text(fn), text(file), line))
                lnodes = node_of(np.array([i for _s, i in locs], np.int64)).tolist() if locs else []
                local_rows += [(fnode if fnode >= 0 else None, thread_node, depth, text(s), ln if ln >= 0 else None)
                               for (s, _i), ln in zip(locs, lnodes, strict=True)]
        sink.insert("pyheap_thread", ("node", "ident", "name"), thread_rows)
        sink.insert("pyheap_frame", ("node", "thread", "depth", "function", "file", "line"), frame_rows)
        sink.insert("pyheap_local", ("frame", "thread", "depth", "name", "target"), local_rows)
        root_nodes = node_of(np.array([r[1] for r in oth.roots], np.int64)).tolist() if oth.roots else []
        sink.insert("pyheap_root", ("kind", "node", "name"),
                    [(kind, v, text(s)) for (kind, _i, s), v in zip(oth.roots, root_nodes, strict=True) if v >= 0])
        try:
            meta = json.loads(text(oth.meta)) if oth.meta is not None else {}
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            sink.diagnostic(None, "pyheap.meta", "the snapshot's description (Python version, pid, time) is damaged: "
                            "left out")
            meta = {}
        for k, v in meta.items():
            sink.meta(f"pyheap.{k}", v)
        sink.meta("summary.objects", n_obj)
        sink.meta("summary.classes", int(np.count_nonzero(counts)))
        sink.meta("summary.shallow_bytes", int(obj[:, 2].sum()))
        sink.meta("summary.roots", len(oth.roots) + n_threads)
        sink.meta("summary.threads", n_threads)
        sink.meta("pyheap.nodes", n_obj + n_threads)
        if wk.cut_at is not None or wk.end_objects is None:
            at = wk.cut_at if wk.cut_at is not None else os.path.getsize(path)
            sink.meta("pyheap.truncated_at", at)
            sink.diagnostic(at, "pyheap.truncated", f"the snapshot is cut short at byte {at:,} (its capture did not "
                            "finish): everything before is read")
        elif wk.end_objects != n_obj:
            sink.diagnostic(None, "pyheap.count", f"the snapshot says it holds {wk.end_objects:,} objects but "
                            f"{n_obj:,} are in it")
