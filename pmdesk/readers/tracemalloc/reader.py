"""A tracemalloc snapshot read without running the pickle's code: an unpickler that builds only
tracemalloc.Snapshot and tracemalloc._Traces (any other global is refused — a pickle naming os.system
would run it on loading), then each distinct traceback as one stack sample weighted by the bytes and the
number of the memory blocks it allocated that were still alive (Lib/tracemalloc.py: a trace is
(domain, size, frames most recent first, total frames))."""

from __future__ import annotations

import io
import os
import pickle
import tracemalloc
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.file_numbers import INT64_LIMIT, in_int64
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.samples_rows import SamplesWriter

ALLOWED = {("tracemalloc", "Snapshot"): tracemalloc.Snapshot, ("tracemalloc", "_Traces"): tracemalloc._Traces}
TYPES = [("inuse_space", "bytes"), ("inuse_objects", "count")]  # pprof's names for live memory and blocks


class SnapshotUnpickler(pickle.Unpickler):
    """Builds only the two classes a tracemalloc snapshot holds; everything else is an error naming it."""

    def __init__(self, f: io.BufferedIOBase, path: str) -> None:
        super().__init__(f)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        cls = ALLOWED.get((module, name))
        if cls is None:
            raise DumpFormatError(self.path, f"is a pickle that names {module}.{name}: a tracemalloc snapshot names "
                                  "only tracemalloc.Snapshot and _Traces, so it is refused (loading it could run "
                                  "code)", 0)
        return cls

    def persistent_load(self, pid: Any) -> Any:
        raise DumpFormatError(self.path, "is a pickle with persistent ids: not a tracemalloc snapshot", 0)


def load_snapshot(path: str) -> tracemalloc.Snapshot:
    """The snapshot at `path`, built by SnapshotUnpickler; a one-line error for any other pickle or damage."""
    try:
        with open(path, "rb") as f:
            snap = SnapshotUnpickler(f, path).load()  # type: ignore[arg-type]
    except DumpFormatError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError, OverflowError, UnicodeDecodeError) as e:
        raise DumpFormatError(path, f"is not a readable tracemalloc snapshot ({type(e).__name__}: "
                              f"{str(e)[:120] or 'damaged pickle'})", 0) from None
    if not isinstance(snap, tracemalloc.Snapshot) or not isinstance(getattr(snap, "traces", None),
                                                                    tracemalloc._Traces):
        raise DumpFormatError(path, f"is a pickle of {type(snap).__name__}, not of a tracemalloc snapshot", 0)
    return snap


def _checked_traceback(path: str, frames: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(frames, tuple) or not frames or not all(
            isinstance(fr, tuple) and len(fr) == 2 and isinstance(fr[0], str) and type(fr[1]) is int
            for fr in frames):
        raise DumpFormatError(path, "holds a trace whose traceback is not (file, line) frames: damaged", 0)
    return frames


def read_snapshot(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index the snapshot at `path` as stack samples: a frame is its file's name and line ('app.py:12'), its
    module the file's folder, its file the whole path tracemalloc gives."""
    progress.update(0.05, "loading the snapshot")
    snap = load_snapshot(path)
    raw = getattr(snap.traces, "_traces", None)
    limit = getattr(snap, "traceback_limit", None)
    if not isinstance(raw, (list, tuple)) or type(limit) is not int:
        raise DumpFormatError(path, "holds a Snapshot without its traces or traceback limit: damaged", 0)
    progress.update(0.5, "grouping the traces by traceback")
    by_traceback: dict[Any, list[int]] = {}
    total_bytes = 0
    domains: set[int] = set()
    for k, trace in enumerate(raw):
        if not isinstance(trace, tuple) or len(trace) not in (3, 4) or type(trace[0]) is not int or \
                type(trace[1]) is not int or not 0 <= trace[1] < INT64_LIMIT or not in_int64(trace[0]):
            raise DumpFormatError(path, f"holds a damaged trace (number {k}): not (domain, size, traceback)", 0)
        acc = by_traceback.get(trace[2])
        if acc is None:
            acc = by_traceback[_checked_traceback(path, trace[2])] = [0, 0]
        acc[0] += trace[1]
        acc[1] += 1
        total_bytes += trace[1]
        domains.add(trace[0])
        if k % 262144 == 0:
            progress.update(0.5 + 0.3 * k / max(len(raw), 1), "grouping the traces by traceback")
    w = SamplesWriter(TYPES)
    for frames, (size, count) in by_traceback.items():
        stack = [w.frame(f"{os.path.basename(file)}:{line}", os.path.dirname(file) or None, file)
                 for file, line in reversed(frames)]
        w.sample(stack, [size, count])
    progress.update(0.9, "writing the samples")
    w.write(sink, {"samples.default_type": "inuse_space", "samples.source": "tracemalloc",
                   "tracemalloc.traceback_limit": limit, "tracemalloc.traces": len(raw),
                   "tracemalloc.bytes": total_bytes, "tracemalloc.domains": sorted(domains),
                   "tracemalloc.file_bytes": os.path.getsize(path)})
