"""A JFR recording's events as columns, for analyses and views: per event type the start, duration, thread,
stack trace and value-table row of each event (optionally within a time window), and names for what those
columns point at — threads, classes (dotted, as Java prints them), methods, stack traces as method rows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pmdesk.index.store import load_array
from pmdesk.model.dump import Dump
from pmdesk.model.jfr.values import Table, Values

Window = tuple[int, int] | None  # [start_ns, end_ns) of event start times; None = the whole recording


@dataclass
class Events:
    """The events of one type (within a window): columns aligned with each other."""

    type_name: str
    start_ns: np.ndarray
    duration_ns: np.ndarray
    thread: np.ndarray  # java.lang.Thread pool row (the first of the rows naming the same thread), -1 if none
    stack: np.ndarray  # jdk.types.StackTrace pool row, -1 if none
    row: np.ndarray  # row in the type's value table

    def __len__(self) -> int:
        return len(self.row)


class Recording:
    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.values = Values(dump)
        conn = dump.conn
        self.type_names = [n for _i, n in conn.execute("SELECT type_idx, name FROM jfr_type_name ORDER BY type_idx")]
        self._type = load_array(conn, "jfr_event.type").astype(np.int32, copy=False)
        self._cols = {c: load_array(conn, f"jfr_event.{c}").astype(np.int64, copy=False)
                      for c in ("start_ns", "duration_ns", "thread", "stack", "row")}
        self._cols["thread"] = self._same_thread(self._cols["thread"])
        self.start_ns = int(dump.meta.get("jfr.start_ns") or 0)
        self.duration_ns = int(dump.meta.get("jfr.duration_ns") or 0)

    @classmethod
    def of(cls, dump: Dump) -> Recording:
        """The recording of an open dump, built once per dump."""
        rec = dump.cache.get("jfr_recording")
        if rec is None:
            rec = dump.cache["jfr_recording"] = cls(dump)
        return rec

    def _same_thread(self, rows: np.ndarray) -> np.ndarray:
        """Each chunk writes its threads again: map every pool row to the first row with the same OS and Java
        thread ids and names, so one thread is one thread across chunks."""
        cols = [self._pool_column("java.lang.Thread", c) for c in ("osThreadId", "javaThreadId", "osName",
                                                                   "javaName")]
        if not len(cols[0]):
            return rows
        first: dict[tuple[int, ...], int] = {}
        canon = np.array([first.setdefault(k, i) for i, k in enumerate(zip(*(c.tolist() for c in cols),
                                                                         strict=True))], np.int64)
        return np.where((rows >= 0) & (rows < len(canon)), canon[np.clip(rows, 0, len(canon) - 1)], rows)

    def events(self, type_name: str, window: Window = None) -> Events:
        try:
            idx = self.type_names.index(type_name)
        except ValueError:
            sel = np.empty(0, np.int64)
        else:
            sel = np.flatnonzero(self._type == idx)
        if window is not None and len(sel):
            s = self._cols["start_ns"][sel]
            sel = sel[(s >= window[0]) & (s < window[1])]
        c = self._cols
        return Events(type_name, c["start_ns"][sel], c["duration_ns"][sel], c["thread"][sel], c["stack"][sel],
                      c["row"][sel])

    def table(self, type_name: str) -> Table | None:
        return self.values.table(type_name)

    def field(self, events: Events, name: str) -> np.ndarray | None:
        """A top-level field's raw values for these events (refs as pool rows, strings as ids)."""
        t = self.table(events.type_name)
        col = t.column(name) if t is not None else None
        return None if col is None else col[events.row]

    def string(self, sid: int) -> str | None:
        s = self.values.strings
        return s[sid] if 0 <= sid < len(s) else None

    # --- names ---------------------------------------------------------------------------------------------

    def _pool_column(self, pool: str, name: str) -> np.ndarray:
        t = self.values.table(pool, "pool")
        col = t.column(name) if t is not None else None
        return col if col is not None else np.empty(0, np.int64)

    def _symbols(self, rows: np.ndarray) -> list[str]:
        sym = self._pool_column("jdk.types.Symbol", "string")
        return [self.string(int(sym[r])) or "" if r >= 0 else "" for r in rows.tolist()]

    @cached_property
    def thread_names(self) -> list[str]:
        """Per java.lang.Thread pool row: the Java name, else the OS name."""
        java, os_ = self._pool_column("java.lang.Thread", "javaName"), self._pool_column("java.lang.Thread", "osName")
        return [self.string(int(j)) or self.string(int(o)) or "" for j, o in zip(java.tolist(), os_.tolist(),
                                                                                  strict=True)]

    def thread_name(self, row: int) -> str:
        return self.thread_names[row] if 0 <= row < len(self.thread_names) else "<no thread>"

    @cached_property
    def class_names(self) -> list[str]:
        """Per java.lang.Class pool row: the name as Java prints it (com.example.Foo, [B, [Ljava.lang.Object;)."""
        return [n.replace("/", ".") for n in self._symbols(self._pool_column("java.lang.Class", "name"))]

    def class_name(self, row: int) -> str:
        return self.class_names[row] if 0 <= row < len(self.class_names) else "<unknown class>"

    @cached_property
    def method_names(self) -> list[str]:
        """Per jdk.types.Method pool row: Class.method (dotted class name)."""
        owners = self._pool_column("jdk.types.Method", "type")
        names = self._symbols(self._pool_column("jdk.types.Method", "name"))
        return [f"{self.class_name(int(o))}.{n}" for o, n in zip(owners.tolist(), names, strict=True)]

    @cached_property
    def method_descriptors(self) -> list[str]:
        return self._symbols(self._pool_column("jdk.types.Method", "descriptor"))

    @cached_property
    def _method_ids(self) -> tuple[np.ndarray, np.ndarray]:
        keys = [n + d for n, d in zip(self.method_names, self.method_descriptors, strict=True)]
        _uniq, first, inverse = np.unique(np.array(keys or [""], dtype=object), return_index=True,
                                          return_inverse=True)
        return inverse.astype(np.int64)[:len(keys)], first

    @property
    def method_ident(self) -> np.ndarray:
        """Per method row, one id per distinct Class.method(descriptor): the same method written again in
        another chunk (or pool flush) counts as one, overloads as different methods."""
        return self._method_ids[0]

    @property
    def ident_rows(self) -> np.ndarray:
        """A method row for each method id (the first written)."""
        return self._method_ids[1]

    @cached_property
    def stacks(self) -> StackFrames:
        return StackFrames.of(self.values)


@dataclass
class StackFrames:
    """Every stack trace's frames, top (innermost) first, as CSR: frames of stack s are
    [offsets[s], offsets[s+1]) in method / line / frame_type."""

    offsets: np.ndarray
    method: np.ndarray
    line: np.ndarray
    frame_type: np.ndarray
    truncated: np.ndarray

    @classmethod
    def of(cls, values: Values) -> StackFrames:
        t = values.table("jdk.types.StackTrace", "pool")
        empty = np.empty(0, np.int64)
        if t is None:
            return cls(np.zeros(1, np.int64), empty, empty, empty, empty)
        frames = next(f for f in t.fields if f["name"] == "frames")
        elem = frames["element"]
        w = frames["width"]
        slot = {f["name"]: f["slot"] for f in elem.get("fields", [])}
        starts = t.matrix[:, frames["slot"]]
        counts = np.maximum(t.matrix[:, frames["slot"] + 1], 0)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        first = np.repeat(offsets[:-1], counts)
        base = np.repeat(starts, counts) + (np.arange(int(offsets[-1]), dtype=np.int64) - first) * w

        def col(name: str) -> np.ndarray:
            return t.arena[base + slot[name]] if name in slot else np.full(len(base), -1, np.int64)

        trunc = t.column("truncated")
        return cls(offsets, col("method"), col("lineNumber"), col("type"),
                   trunc if trunc is not None else np.zeros(len(t.matrix), np.int64))

    def methods(self, stack: int) -> np.ndarray:
        if not 0 <= stack < len(self.offsets) - 1:
            return np.empty(0, np.int64)
        return self.method[self.offsets[stack]:self.offsets[stack + 1]]

    def top(self, stacks: np.ndarray) -> np.ndarray:
        """The top frame's method row of each stack (-1 for none / empty)."""
        if len(self.method) == 0:
            return np.full(len(stacks), -1, np.int64)
        ok = (stacks >= 0) & (stacks < len(self.offsets) - 1)
        s = np.where(ok, stacks, 0)
        has = ok & (self.offsets[s + 1] > self.offsets[s])
        return np.where(has, self.method[np.minimum(self.offsets[s], len(self.method) - 1)], -1)
