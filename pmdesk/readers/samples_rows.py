"""Writes stack samples into the sp_* tables of an index (index/schema/samples.sql) — what every profile
reader calls. A reader names frames (deduplicated here), gives each sample's stack as frame ids and its
values; the stacks become a trie (node 0 the root, a parent always lower than its child) in one numba pass,
so a million samples cost no Python object each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from pmdesk.readers.base import IndexSink

CHUNK = 1 << 20  # array elements per stored chunk
BATCH = 64  # stacks walked side by side when building the trie

KINDS = ("user", "kernel", "inlined", "jit", "process")
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing of trie keys: the product's top bits are the slot


@numba.njit(cache=True, nogil=True, inline="always")
def slot(key: int, bits: int) -> int:
    """The slot of `key` in an open-addressed table of 2**bits slots (Fibonacci hashing)."""
    return np.int64((np.uint64(key) * GOLDEN) >> np.uint64(64 - bits))


@numba.njit(cache=True, nogil=True)
def doubled(arr: np.ndarray, n: int) -> np.ndarray:
    """An array twice as long holding arr's first n elements (a growing numba kernel's storage)."""
    out = np.empty(len(arr) * 2, arr.dtype)
    out[:n] = arr[:n]
    return out


@numba.njit(cache=True, nogil=True)
def _rehash(pf: np.ndarray, nodes: int, bits: int) -> np.ndarray:
    """trie_kernel's table of 2**bits slots holding nodes 1..nodes-1, each at its (parent, frame) key's slot."""
    table = np.zeros(1 << bits, np.int32)
    mask = (1 << bits) - 1
    for v in range(1, nodes):
        h = slot(pf[v], bits)
        while table[h]:
            h = (h + 1) & mask
        table[h] = v
    return table


@numba.njit(cache=True, nogil=True)
def trie_kernel(offsets: np.ndarray, frames: np.ndarray, leaf_first: bool, n_frames: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacks given as CSR (stack i is frames[offsets[i]:offsets[i+1]], innermost first when leaf_first)
    -> (node of each stack's innermost frame, parent of each node, frame of each node); node 0 is the root.
    The (parent, frame) -> child hash table holds only node numbers (0: empty): a slot's key is its node's
    own (parent << 32 | frame), so a million nodes take 8 MB of table, not 32."""
    n = len(offsets) - 1
    out = np.zeros(n, np.int32)
    pf = np.empty(1 << 12, np.int64)  # parent << 32 | frame of each node
    pf[0] = -1
    nodes = 1
    bits = 13
    table = np.zeros(1 << bits, np.int32)
    at = np.zeros(BATCH, np.int64)
    for base in range(0, n, BATCH):
        m = min(BATCH, n - base)
        deepest = 0
        for s in range(m):
            at[s] = 0
            deepest = max(deepest, offsets[base + s + 1] - offsets[base + s])
        # a batch's stacks a level at a time: their lookups are independent, so their cache misses overlap
        for d in range(deepest):
            for s in range(m):
                a, b = offsets[base + s], offsets[base + s + 1]
                if d >= b - a:
                    continue
                f = frames[b - 1 - d] if leaf_first else frames[a + d]
                key = at[s] << 32 | f
                mask = len(table) - 1
                h = slot(key, bits)
                v = table[h]
                while v and pf[v] != key:
                    h = (h + 1) & mask
                    v = table[h]
                if v:
                    at[s] = v
                    continue
                if nodes == len(pf):
                    pf = doubled(pf, nodes)
                pf[nodes] = key
                table[h] = nodes
                at[s] = nodes
                nodes += 1
                if nodes * 2 > len(table):
                    bits += 1
                    table = _rehash(pf, nodes, bits)
        for s in range(m):
            out[base + s] = at[s]
    parent = (pf[:nodes] >> 32).astype(np.int32)
    frame = (pf[:nodes] & 0xFFFFFFFF).astype(np.int32)
    parent[0] = -1
    frame[0] = -1
    return out, parent, frame


@dataclass
class Labels:
    """Labels on samples (pprof's): per label its sample, key (into keys), text (into texts; -1 for a number)
    and number."""

    keys: list[str]
    texts: list[str]
    sample: np.ndarray
    key: np.ndarray
    text: np.ndarray
    num: np.ndarray


class SamplesWriter:
    """Collects frames, value types, events, threads and samples, then writes them (write)."""

    def __init__(self, types: Sequence[tuple[str, str]]) -> None:
        self.types = list(types)
        self._frames: dict[tuple[str, str | None, str | None], int] = {}
        self._kinds: list[str] = []
        self._events: dict[str, int] = {}
        self._threads: dict[tuple[int | None, int | None, str | None], int] = {}
        self._offsets: list[int] = [0]
        self._stack: list[int] = []
        self._values: list[list[float]] = [[] for _ in self.types]
        self._thread: list[int] = []
        self._event: list[int] = []
        self._time: list[int] = []

    def frame(self, function: str, module: str | None = None, file: str | None = None, kind: str = "user") -> int:
        """The id of a frame, the same for the same (function, module, file); its kind is the first given."""
        key = (function, module, file)
        idx = self._frames.get(key)
        if idx is None:
            idx = self._frames[key] = len(self._frames)
            self._kinds.append(kind)
        return idx

    def event(self, name: str) -> int:
        idx = self._events.get(name)
        if idx is None:
            idx = self._events[name] = len(self._events)
        return idx

    def thread(self, pid: int | None, tid: int | None, name: str | None) -> int:
        key = (pid, tid, name)
        idx = self._threads.get(key)
        if idx is None:
            idx = self._threads[key] = len(self._threads)
        return idx

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    def sample(self, stack_root_first: Sequence[int], values: Sequence[float], thread: int = -1, event: int = 0,
               time_ns: int | None = None) -> None:
        """One sample (or one folded line: a stack and its weight): frame ids from the outermost in."""
        self._stack.extend(stack_root_first)
        self._offsets.append(len(self._stack))
        for col, v in zip(self._values, values, strict=True):
            col.append(v)
        self._thread.append(thread)
        self._event.append(event)
        if time_ns is not None:
            self._time.append(time_ns)

    @property
    def samples(self) -> int:
        return len(self._offsets) - 1

    def write(self, sink: IndexSink, meta: dict[str, object] | None = None) -> None:
        """Everything collected, into the sp_* tables and arrays (samples given one by one)."""
        offsets = np.asarray(self._offsets, np.int64)
        frames = np.asarray(self._stack, np.int32)
        values = [np.asarray(v, np.float64) for v in self._values]
        time_ns = np.asarray(self._time, np.int64) if len(self._time) == self.samples and self._time else None
        self.write_arrays(sink, offsets, frames, False, values, np.asarray(self._thread, np.int32),
                          np.asarray(self._event, np.int32), time_ns, meta)

    def write_arrays(self, sink: IndexSink, offsets: np.ndarray, frames: np.ndarray, leaf_first: bool,
                     values: Sequence[np.ndarray], thread: np.ndarray, event: np.ndarray,
                     time_ns: np.ndarray | None, meta: dict[str, object] | None = None,
                     labels: Labels | None = None, leaf_vaddr: np.ndarray | None = None,
                     cpu: np.ndarray | None = None) -> None:
        """Samples given as arrays: stacks as CSR of frame ids (innermost first when leaf_first); `leaf_vaddr`:
        where in its binary each sample's innermost frame was (-1 unknown), for annotating functions; `cpu`:
        the CPU each was taken on."""
        node, parent, frame = trie_kernel(offsets, frames, leaf_first, max(len(self._frames), 1))
        sink.insert("sp_value_type", ("idx", "type", "unit"), [(i, t, u) for i, (t, u) in enumerate(self.types)])
        sink.insert("sp_event", ("idx", "name"), [(i, n) for n, i in self._events.items()])
        sink.insert("sp_thread", ("idx", "pid", "tid", "name"), [(i, *k) for k, i in self._threads.items()])
        sink.insert("sp_frame", ("idx", "function", "module", "file", "kind"),
                    [(i, *k, self._kinds[i]) for k, i in self._frames.items()])
        arrays = {"sp_node.parent": parent, "sp_node.frame": frame, "sp_sample.node": node,
                  "sp_sample.thread": thread.astype(np.int32), "sp_sample.event": event.astype(np.int32)}
        arrays.update({f"sp_sample.value.{i}": v.astype(np.float64) for i, v in enumerate(values)})
        if time_ns is not None:
            arrays["sp_sample.time_ns"] = time_ns.astype(np.int64)
        if leaf_vaddr is not None:
            arrays["sp_sample.leaf_vaddr"] = leaf_vaddr.astype(np.int64)
        if cpu is not None:
            arrays["sp_sample.cpu"] = cpu.astype(np.int32)
        if labels is not None and len(labels.sample):
            sink.insert("sp_label_key", ("idx", "key"), list(enumerate(labels.keys)))
            sink.insert("sp_label_text", ("idx", "text"), list(enumerate(labels.texts)))
            arrays.update({"sp_label.sample": labels.sample.astype(np.int32), "sp_label.key": labels.key.astype(
                np.int32), "sp_label.text": labels.text.astype(np.int32), "sp_label.num": labels.num.astype(np.int64)})
        for name, arr in arrays.items():
            for start in range(0, max(len(arr), 1), CHUNK):
                sink.array_chunk(name, arr[start:start + CHUNK])
        for k, v in {"samples.count": int(len(node)), "samples.nodes": int(len(parent)),
                     "samples.frames": len(self._frames), "samples.has_time": time_ns is not None,
                     "samples.has_cpu": cpu is not None,
                     "samples.default_type": self.types[0][0] if self.types else None,
                     **(meta or {})}.items():
            sink.meta(k, v)
