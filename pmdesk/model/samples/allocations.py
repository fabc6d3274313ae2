"""Allocation statistics of a tracemalloc snapshot as its own `Snapshot.statistics(key_type, cumulative)` and
`compare_to(old, key_type, cumulative)` give them (Lib/tracemalloc.py), from the stack samples the reader
wrote (one per distinct traceback, weighted by bytes and blocks): grouped by the most recent frame's line
('lineno') or file ('filename'), or by the whole traceback; cumulative counts every frame of a traceback
(a frame met twice counts twice, as there). Sorted as there: size, count, then the traceback, largest first;
a comparison by the change in size first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.errors import PmdeskError
from pmdesk.model.samples.profile import Samples
from pmdesk.model.samples.profile import overview as profile_overview

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

KEY_TYPES = ("lineno", "filename", "traceback")
Frame = tuple[str, int]


@dataclass
class Statistic:
    traceback: tuple[Frame, ...]  # oldest frame first (one frame for 'lineno', (file, 0) for 'filename')
    size_bytes: int
    count: int
    size_diff_bytes: int = 0
    count_diff: int = 0

    def as_json(self, diff: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"traceback": [f"{f}:{ln}" for f, ln in self.traceback], "size_bytes": self.size_bytes,
                               "count": self.count}
        if diff:
            out |= {"size_diff_bytes": self.size_diff_bytes, "count_diff": self.count_diff}
        return out

    def text(self, diff: bool) -> str:
        """The line str() of the stdlib's Statistic (or StatisticDiff) prints: its traceback's oldest frame."""
        file, line = self.traceback[0]
        size = format_size(self.size_bytes, False)
        out = f"{file}:{line}: size={size}, count={self.count}"
        if diff:
            out = (f"{file}:{line}: size={size} ({format_size(self.size_diff_bytes, True)}), "
                   f"count={self.count} ({self.count_diff:+d})")
        if self.count:
            out += f", average={format_size(self.size_bytes / self.count, False)}"
        return out


def format_size(size: float, sign: bool) -> str:
    """A byte count as tracemalloc prints it: B below 10 KiB, then KiB, MiB… with one decimal under 100."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 100 and unit != "B":
            return f"{size:+.1f} {unit}" if sign else f"{size:.1f} {unit}"
        if abs(size) < 10 * 1024 or unit == "TiB":
            return f"{size:+.0f} {unit}" if sign else f"{size:.0f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def is_tracemalloc(samples: Samples) -> bool:
    return "tracemalloc.traces" in samples.meta


def _frame_of(samples: Samples, frame: int) -> Frame:
    return samples.file[frame] or "", int(samples.function[frame].rpartition(":")[2])


def overview(dump: Dump) -> list[tuple[str, str]]:
    """A profile's Overview with what the snapshot says of itself."""
    m = dump.meta
    return [*profile_overview(dump), ("Traces", f"{m.get('tracemalloc.traces', 0):,} memory blocks, "
                                                f"{m.get('tracemalloc.bytes', 0):,} bytes"),
            ("Traceback limit", f"{m.get('tracemalloc.traceback_limit')} frames")]


def group(samples: Samples, key_type: str, cumulative: bool = False) -> dict[tuple[Frame, ...], list[int]]:
    """Traceback key -> [bytes, blocks], as Snapshot._group_by makes them."""
    if key_type not in KEY_TYPES:
        raise PmdeskError(samples.path, f"cannot group by '{key_type}' (one of {', '.join(KEY_TYPES)})")
    if cumulative and key_type == "traceback":
        raise PmdeskError(samples.path, "cumulative statistics are by 'lineno' or 'filename', not by 'traceback'")
    if not is_tracemalloc(samples):
        raise PmdeskError(samples.path, "is not a tracemalloc snapshot: allocation statistics are tracemalloc's")
    size = samples.values(samples.type_index("inuse_space")).astype(np.int64)
    count = samples.values(samples.type_index("inuse_objects")).astype(np.int64)
    frames = {int(f) for f in np.unique(samples.frame[1:])} if len(samples.frame) > 1 else set()
    where = {f: _frame_of(samples, f) for f in frames}
    out: dict[tuple[Frame, ...], list[int]] = {}

    def add(key: tuple[Frame, ...], s: int, c: int) -> None:
        acc = out.setdefault(key, [0, 0])
        acc[0] += s
        acc[1] += c

    parent, frame_of_node = samples.parent, samples.frame
    for node, s, c in zip(samples.node.tolist(), size.tolist(), count.tolist(), strict=True):
        if key_type == "lineno" and not cumulative:
            add((where[int(frame_of_node[node])],), s, c)
        elif key_type == "filename" and not cumulative:
            add(((where[int(frame_of_node[node])][0], 0),), s, c)
        else:
            path = []
            v = node
            while v > 0:  # node 0 is the trie's root
                path.append(where[int(frame_of_node[v])])
                v = int(parent[v])
            if key_type == "traceback":
                add(tuple(reversed(path)), s, c)
            else:
                for fr in path:
                    add((fr if key_type == "lineno" else (fr[0], 0),), s, c)
    return out


def statistics(samples: Samples, key_type: str, cumulative: bool = False) -> list[Statistic]:
    """Snapshot.statistics(key_type, cumulative)."""
    stats = [Statistic(k, s, c) for k, (s, c) in group(samples, key_type, cumulative).items()]
    stats.sort(key=lambda x: (x.size_bytes, x.count, x.traceback), reverse=True)
    return stats


def compare(new: Samples, old: Samples, key_type: str, cumulative: bool = False) -> list[Statistic]:
    """new_snapshot.compare_to(old_snapshot, key_type, cumulative)."""
    a, b = group(old, key_type, cumulative), group(new, key_type, cumulative)
    stats = [Statistic(k, s, c, s - a.get(k, [0, 0])[0], c - a.get(k, [0, 0])[1]) for k, (s, c) in b.items()]
    stats += [Statistic(k, 0, 0, -s, -c) for k, (s, c) in a.items() if k not in b]
    stats.sort(key=lambda x: (abs(x.size_diff_bytes), x.size_bytes, abs(x.count_diff), x.count, x.traceback),
               reverse=True)
    return stats
