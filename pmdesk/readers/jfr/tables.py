"""Decoded JFR values of one type — the events of an event type or the entries of a constant pool — across
all chunks, and the passes that make them chunk-independent before they are stored: strings become ids in
one string table, constant-pool references become row numbers in the referenced pool's table, and tick
times become nanoseconds (epoch for timestamps)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdesk.readers.jfr.chunks import ChunkHeader, string
from pmdesk.readers.jfr.decode import string_keys

Site = tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]  # node, buffer, flat indices, chunk of each


@dataclass
class ValueTable:
    name: str
    layout: dict[str, Any]
    role: str  # "event" or "pool"
    rows: list[np.ndarray] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    arena: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int64))
    an: int = 0
    # chunks written by different JDKs may declare the type with other fields: each distinct declaration is
    # a variant (which of the layout's top-level fields it has, in its order); layout is the union, each row
    # remembers its variant
    variants: list[list[int]] = field(default_factory=list)
    variant_of: dict[str, tuple[int, dict[int, int] | None]] = field(default_factory=dict)
    variant_ids: list[np.ndarray] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(int(self.layout["width"]), 1)

    def add(self, rows: np.ndarray, chunk: int, keys: np.ndarray | None = None, variant: int = 0) -> None:
        self.rows.append(rows)
        self.chunks.append(np.full(len(rows), chunk, np.int32))
        self.variant_ids.append(np.full(len(rows), variant, np.int8))
        if keys is not None:
            self.keys.append(keys)

    def freeze(self) -> None:
        """Join the per-chunk batches into one row matrix (and chunk/key/variant columns); batches decoded
        before a later variant widened the layout are padded with -1."""
        w = self.width
        rows = [r if r.shape[1] == w else np.pad(r, ((0, 0), (0, w - r.shape[1])), constant_values=-1)
                for r in self.rows]
        self.matrix = np.concatenate(rows) if rows else np.empty((0, w), np.int64)
        self.variant = np.concatenate(self.variant_ids) if self.variant_ids else np.empty(0, np.int8)
        self.variant_ids = []
        self.chunk = np.concatenate(self.chunks) if self.chunks else np.empty(0, np.int32)
        self.key = np.concatenate(self.keys) if self.keys else np.empty(0, np.int64)
        self.arena = self.arena[:self.an]
        self.rows, self.chunks, self.keys = [], [], []

    def sites(self) -> Iterator[Site]:
        """Every leaf value position: top-level slots in the matrix, array elements in the arena."""
        flat = self.matrix.reshape(-1)
        base = np.arange(len(self.matrix), dtype=np.int64) * self.width
        yield from _walk(self.layout["fields"], flat, self.arena, base, self.chunk)


def _walk(fields: list[dict[str, Any]], buf: np.ndarray, arena: np.ndarray, base: np.ndarray,
          chunk: np.ndarray) -> Iterator[Site]:
    for node in fields:
        kind = node["kind"]
        if kind == "struct":
            yield from _walk(node["fields"], buf, arena, base, chunk)
        elif kind == "array":
            starts = buf[base + node["slot"]]
            counts = np.maximum(buf[base + node["slot"] + 1], 0)
            total = int(counts.sum())
            if total == 0 or "element" not in node:
                continue
            first = np.repeat(np.cumsum(counts) - counts, counts)
            ebase = np.repeat(starts, counts) + (np.arange(total, dtype=np.int64) - first) * node["width"]
            yield from _walk([node["element"]], arena, arena, ebase, np.repeat(chunk, counts))
        else:
            yield node, buf, base + node["slot"], chunk


class Strings:
    """One table of every distinct string value; id 0 is null."""

    def __init__(self) -> None:
        self.ids: dict[str | None, int] = {None: 0}
        self.texts: list[str | None] = [None]

    def id(self, text: str | None) -> int:
        i = self.ids.get(text)
        if i is None:
            i = self.ids[text] = len(self.texts)
            self.texts.append(text)
        return i


def resolve_strings(tables: dict[str, ValueTable], data: memoryview, arr: np.ndarray, strings: Strings,
                    pool_text: Callable[[int, int], str | None]) -> None:
    """Replace each string's file offset by its id. Equal strings are found by a hash of their bytes (a
    recording repeats the same GC phase names tens of thousands of times), so each distinct one is decoded
    once; a constant-pool string (encoding 2) is looked up in its chunk's java.lang.String pool."""
    sites = [(buf, idx, chunk) for table in tables.values() for node, buf, idx, chunk in table.sites()
             if node["kind"] == "string" and len(idx)]
    if not sites:
        return
    offsets = np.concatenate([buf[idx] for buf, idx, _c in sites])
    chunks = np.concatenate([c for _b, _i, c in sites])
    kinds, keys = string_keys(arr, offsets)
    ids = np.zeros(len(offsets), np.int64)
    ids[kinds == 1] = strings.id("")
    inline = np.flatnonzero(kinds == 3)
    if len(inline):
        uniq, first, inverse = np.unique(keys[inline], return_index=True, return_inverse=True)
        texts = [strings.id(string(data, int(offsets[inline[f]]))[0]) for f in first.tolist()]
        ids[inline] = np.array(texts, np.int64)[inverse.reshape(-1)]
    pooled = np.flatnonzero(kinds == 2)
    if len(pooled):
        pairs = np.stack([chunks[pooled].astype(np.uint64), keys[pooled]], axis=1)
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        texts = [strings.id(pool_text(int(c), int(k))) for c, k in uniq.tolist()]
        ids[pooled] = np.array(texts, np.int64)[inverse.reshape(-1)]
    at = 0
    for buf, idx, _c in sites:
        buf[idx] = ids[at:at + len(idx)]
        at += len(idx)


class PoolIndex:
    """(chunk, key) -> row of a pool table; unknown keys -> -1. A key repeated in a chunk: the last wins."""

    def __init__(self, table: ValueTable) -> None:
        self.by_chunk: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for c in np.unique(table.chunk).tolist():
            rows = np.flatnonzero(table.chunk == c)
            order = np.argsort(table.key[rows], kind="stable")
            self.by_chunk[c] = (table.key[rows][order], rows[order])

    def rows(self, keys: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, np.int64)
        for c, (sorted_keys, rows) in self.by_chunk.items():
            sel = np.flatnonzero(chunk == c)
            if len(sel) == 0:
                continue
            at = np.searchsorted(sorted_keys, keys[sel], side="right") - 1
            hit = (at >= 0) & (sorted_keys[np.maximum(at, 0)] == keys[sel])
            out[sel[hit]] = rows[at[hit]]
        return out


def resolve_refs(tables: dict[str, ValueTable], pools: dict[str, PoolIndex]) -> Counter[str]:
    """Constant-pool keys -> rows of the referenced pool's table (-1: null). Returns, per pool type, how many
    non-zero keys named no entry (a pool never written, or a recording cut before it was)."""
    unresolved: Counter[str] = Counter()
    for table in tables.values():
        for node, buf, idx, chunk in table.sites():
            if node["kind"] != "ref" or len(idx) == 0:
                continue
            keys = buf[idx]
            pool = pools.get(node["type"])
            rows = pool.rows(keys, chunk) if pool is not None else np.full(len(keys), -1, np.int64)
            unresolved[node["type"]] += int(((rows < 0) & (keys > 0)).sum())
            buf[idx] = rows
    return +unresolved


TIMESPAN_NS = {"NANOSECONDS": 1, "MICROSECONDS": 1_000, "MILLISECONDS": 1_000_000, "SECONDS": 1_000_000_000}


def resolve_times(tables: dict[str, ValueTable], headers: list[ChunkHeader]) -> None:
    """Timestamps -> epoch ns and time spans -> ns, as `jfr` converts them (double division, truncated)."""
    for table in tables.values():
        for node, buf, idx, chunk in table.sites():
            unit = node.get("unit")
            if not unit or len(idx) == 0 or node["kind"] in ("float", "double"):
                continue
            kind, _, scale = unit.partition(":")
            v = buf[idx]
            if scale == "TICKS":
                start_ns = np.array([h.start_ns for h in headers], np.int64)[chunk]
                start_ticks = np.array([h.start_ticks for h in headers], np.int64)[chunk]
                divisor = np.array([h.ticks_per_second / 1e9 for h in headers])[chunk]
                if kind == "timestamp":
                    out = start_ns + np.trunc((v - start_ticks) / divisor).astype(np.int64)
                else:
                    out = np.trunc(v / divisor).astype(np.int64)
            else:  # MILLISECONDS_SINCE_EPOCH, or a span in NANOSECONDS … SECONDS
                out = _scaled(v, 1_000_000 if kind == "timestamp" else TIMESPAN_NS.get(scale, 1))
            buf[idx] = np.where(v == np.iinfo(np.int64).min, v, out)  # Long.MIN_VALUE: "no time", kept as is
            node["unit"] = kind


def _scaled(v: np.ndarray, factor: int) -> np.ndarray:
    """v * factor, saturated at the int64 limits: Long.MAX_VALUE milliseconds ("forever", e.g. a recording's
    maxAge) stays the largest time there is instead of wrapping negative."""
    hi, lo = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    return np.where(v > hi // factor, hi, np.where(v < lo // factor, lo, v * factor))
