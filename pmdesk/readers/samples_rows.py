"""Writes stack samples into the sp_* tables of an index (index/schema/samples.sql) — what every profile
reader calls. A reader names frames (deduplicated here), gives each sample's stack as frame ids and its
values; the stacks become a trie (stack_trie.build_trie: node 0 the root, a parent always lower than its
child), so a million samples cost no Python object each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pmdesk.readers.base import IndexSink
from pmdesk.readers.stack_trie import build_trie

CHUNK = 1 << 20  # array elements per stored chunk

KINDS = ("user", "kernel", "inlined", "jit", "process")


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
        node, parent, frame = build_trie(offsets, frames, leaf_first)
        sink.insert("sp_value_type", ("idx", "type", "unit"), [(i, t, u) for i, (t, u) in enumerate(self.types)])
        sink.insert("sp_event", ("idx", "name"), [(i, n) for n, i in self._events.items()])
        sink.insert("sp_thread", ("idx", "pid", "tid", "name"), [(i, *k) for k, i in self._threads.items()])
        sink.insert("sp_frame", ("idx", "function", "module", "file", "kind"),
                    [(i, *k, self._kinds[i]) for k, i in self._frames.items()])
        arrays = {"sp_node.parent": parent, "sp_node.frame": frame, "sp_sample.node": node,
                  "sp_sample.thread": np.asarray(thread, np.int32), "sp_sample.event": np.asarray(event, np.int32)}
        arrays.update({f"sp_sample.value.{i}": np.asarray(v, np.float64) for i, v in enumerate(values)})
        if time_ns is not None:
            arrays["sp_sample.time_ns"] = np.asarray(time_ns, np.int64)
        if leaf_vaddr is not None:
            arrays["sp_sample.leaf_vaddr"] = np.asarray(leaf_vaddr, np.int64)
        if cpu is not None:
            arrays["sp_sample.cpu"] = np.asarray(cpu, np.int32)
        if labels is not None and len(labels.sample):
            sink.insert("sp_label_key", ("idx", "key"), list(enumerate(labels.keys)))
            sink.insert("sp_label_text", ("idx", "text"), list(enumerate(labels.texts)))
            arrays.update({"sp_label.sample": np.asarray(labels.sample, np.int32),
                           "sp_label.key": np.asarray(labels.key, np.int32),
                           "sp_label.text": np.asarray(labels.text, np.int32),
                           "sp_label.num": np.asarray(labels.num, np.int64)})
        for name, arr in arrays.items():
            for start in range(0, max(len(arr), 1), CHUNK):
                sink.array_chunk(name, arr[start:start + CHUNK])
        for k, v in {"samples.count": int(len(node)), "samples.nodes": int(len(parent)),
                     "samples.frames": len(self._frames), "samples.has_time": time_ns is not None,
                     "samples.has_cpu": cpu is not None,
                     "samples.default_type": self.types[0][0] if self.types else None,
                     **(meta or {})}.items():
            sink.meta(k, v)
