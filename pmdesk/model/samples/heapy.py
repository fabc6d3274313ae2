"""The entries of a heapy stat dump and the difference of two, printed as guppy3 prints a Stat and the Stat
that `b - a` gives (guppy/heapy/Part.py: SetFormat, IdFormat, DiffFormat and Stat.__sub__): a label, a
header, one row per kind with its count, size and the cumulative size, wrapped at 100 columns."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.errors import PmdeskError
from pmdesk.model.samples.profile import Samples, load
from pmdesk.model.samples.profile import overview as profile_overview

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

LINE_COLUMNS = 100  # heapy's line_length


@dataclass
class Row:
    count: int
    size_bytes: int
    kind: str
    index: int = 0
    cumulative_bytes: int = 0


@dataclass
class Entry:
    layout: str                 # heapy's format: SetFormat, IdFormat or DiffFormat
    count: int
    size_bytes: int
    kindheader: str
    rows: list[Row]
    time: float | None = None
    b_count: int = 0             # a difference's B
    b_size_bytes: int = 0
    label: str = ""              # how pmdesk names it: 'entry N' or 'entry N - entry M'
    kindname: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"entry": self.label, "format": self.layout, "time": self.time, "count": self.count,
                "size_bytes": self.size_bytes, "b_count": self.b_count, "b_size_bytes": self.b_size_bytes,
                "kindheader": self.kindheader,
                "rows": [{"index": r.index, "count": r.count, "size_bytes": r.size_bytes,
                          "cumulative_bytes": r.cumulative_bytes, "kind": r.kind} for r in self.rows]}

    def when(self) -> str:
        return dt.datetime.fromtimestamp(self.time, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if self.time else "?"


def is_heapy(samples: Samples) -> bool:
    return "heapy.entries" in samples.meta


def _numbered(rows: list[Row]) -> list[Row]:
    total = 0
    for i, r in enumerate(rows):
        total += r.size_bytes
        r.index, r.cumulative_bytes = i, total
    return rows


def entries(samples: Samples) -> list[Entry]:
    """Every entry of the dump, in file order."""
    if not is_heapy(samples):
        raise PmdeskError(samples.path, "is not a heapy stat dump")
    size = samples.values(samples.type_index("size")).astype(np.int64).tolist()
    count = samples.values(samples.type_index("objects")).astype(np.int64).tolist()
    frame_of = samples.frame
    rows: list[list[Row]] = [[] for _ in samples.events]
    for i, (node, ev) in enumerate(zip(samples.node.tolist(), samples.event.tolist(), strict=True)):
        rows[ev].append(Row(count[i], size[i], samples.function[int(frame_of[node])]))
    out = []
    for k, (e, r) in enumerate(zip(samples.meta.get("heapy.entries") or [], rows, strict=False), 1):
        out.append(Entry(e["format"], int(e.get("count") or 0), int(e.get("size") or 0), e.get("kindheader") or "",
                         _numbered(r), e.get("time"), int(e.get("b_count") or 0), int(e.get("b_size") or 0),
                         f"entry {k}", e.get("kindname") or ""))
    return out


def overview(dump: Dump) -> list[tuple[str, str]]:
    """A profile's Overview with the series' entries (what each holds, when it was made)."""
    rows = profile_overview(dump)
    for e in entries(load(dump)):
        rows.append((e.label.capitalize(), f"{e.layout}, {e.when()}: {e.count:,} objects, {e.size_bytes:,} bytes"))
    return rows


def pick(samples: Samples, number: int | None) -> Entry:
    """Entry `number` (1 is the first; negative counts from the end; None: the last)."""
    got = entries(samples)
    k = len(got) if number is None else number if number > 0 else len(got) + 1 + number
    if not 1 <= k <= len(got):
        raise PmdeskError(samples.path, f"has no entry {number} (it has {len(got)}: 1 to {len(got)})")
    return got[k - 1]


def difference(a: Entry, b: Entry) -> Entry:
    """`a - b` as heapy makes it: a's rows less b's, kind by kind (kinds only in b negated, in b's order),
    largest absolute size change first (ties keep that order)."""
    if a.kindheader != b.kindheader:
        raise PmdeskError(a.label, f"and {b.label} partition by different kinds ({a.kindheader!r}, "
                          f"{b.kindheader!r}): no difference")
    theirs: dict[str, Row] = {}
    for r in b.rows:
        o = theirs.get(r.kind)
        theirs[r.kind] = Row(r.count + o.count, r.size_bytes + o.size_bytes, r.kind, o.index) if o else r
    mine: dict[str, Row] = {}
    rows: list[Row] = []
    for r in a.rows:
        o = theirs.pop(r.kind, None)
        c, s = (r.count - o.count, r.size_bytes - o.size_bytes) if o else (r.count, r.size_bytes)
        if c == 0 and s == 0:
            continue
        have = mine.get(r.kind)
        if have:
            have.count += c
            have.size_bytes += s
        else:
            mine[r.kind] = Row(c, s, r.kind)
            rows.append(mine[r.kind])
    rows += [Row(-r.count, -r.size_bytes, r.kind) for r in sorted(theirs.values(), key=lambda x: x.index)]
    rows.sort(key=lambda x: abs(x.size_bytes), reverse=True)
    _numbered(rows)
    return Entry("DiffFormat", sum(r.count for r in rows), sum(r.size_bytes for r in rows), a.kindheader, rows,
                 None, b.count, b.size_bytes, f"{a.label} - {b.label}", a.kindname)


def _percent_of_b(e: Entry, size: int) -> str:
    return f"{size * 100.0 / e.b_size_bytes:9.3g}" if e.b_size_bytes else "   (n.a.)"


def _rounded_percent(part: int, whole: int) -> int:
    return int(f"{part * 100.0 / whole:.0f}") if whole else 0


def label(e: Entry) -> str:
    if e.layout == "DiffFormat":
        out = ("Summary of difference operation (A-B).\n        Count     Size\n"
               f"  A    {e.count + e.b_count:6d} {e.size_bytes + e.b_size_bytes:8d}\n"
               f"  B    {e.b_count:6d} {e.b_size_bytes:8d}\n"
               f"  A-B  {e.count:6d} {e.size_bytes:8d}  = {_percent_of_b(e, e.size_bytes)} % of B\n")
        return out + ("\nDifferences by kind, largest absolute size diffs first." if e.count or e.size_bytes else "")
    s = "" if e.count == 1 else "s"
    if e.layout == "IdFormat":
        return f"Set of {e.count} {e.kindname} object{s}. Total size = {e.size_bytes} bytes."
    return f"Partition of a set of {e.count} object{s}. Total size = {e.size_bytes} bytes."


def _stat_header(e: Entry) -> str:
    return {"DiffFormat": " Index  Count     Size  Cumulative  % of B ",
            "IdFormat": " Index     Size   %   Cumulative  %   "}.get(e.layout,
                                                                  " Index  Count   %     Size   % Cumulative  % ")


def _stat_data(e: Entry, r: Row) -> str:
    if e.layout == "DiffFormat":
        return (f"{r.index:6d} {r.count:6d} {r.size_bytes:8d} {r.cumulative_bytes:9d} "
                f"{_percent_of_b(e, r.cumulative_bytes)} ")
    if e.layout == "IdFormat":
        whole = e.size_bytes or 1
        return (f"{r.index:6d} {r.size_bytes:8d} {r.size_bytes * 100.0 / whole:5.1f} {r.cumulative_bytes:9d} "
                f"{r.cumulative_bytes * 100.0 / whole:5.1f} ")
    return (f"{r.index:6d} {r.count:6d} {_rounded_percent(r.count, e.count):3d} {r.size_bytes:8d} "
            f"{_rounded_percent(r.size_bytes, e.size_bytes):3d} {r.cumulative_bytes:9d} "
            f"{_rounded_percent(r.cumulative_bytes, e.size_bytes):3d} ")


def text(e: Entry, top: int | None) -> Iterator[str]:
    """The lines heapy prints for the entry, its first `top` rows (all when None) and how many more there are."""
    yield from label(e).split("\n")
    if not (e.count or e.size_bytes):
        return
    head = _stat_header(e)
    yield textwrap.fill(head + e.kindheader, width=LINE_COLUMNS, subsequent_indent=" " * len(head))
    shown = e.rows if top is None else e.rows[:top]
    for r in shown:
        data = _stat_data(e, r)
        pad = " " * len(data)
        first, *more = r.kind.split("\n")
        yield from textwrap.wrap(data + first, width=LINE_COLUMNS, subsequent_indent=pad)
        for m in more:
            yield from textwrap.wrap(m, width=LINE_COLUMNS, initial_indent=pad, subsequent_indent=pad)
    if len(shown) < len(e.rows):
        yield f"<{len(e.rows) - len(shown)} more rows. Type e.g. '_.more' to view.>"
