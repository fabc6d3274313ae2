"""A memray capture through memray.FileReader: the allocations alive at the high-water mark, those never
freed (leaks), the ones freed almost at once (temporary), and every allocation, each an event of stack
samples weighted by bytes and allocations, per thread; stacks are Python frames (with native ones between
when the capture recorded them), root first.

memray's reader is C++ and a damaged capture can crash it (the fuzzing harness found flipped bits that do):
it runs in a child interpreter (`python -m pmdesk.readers.memray.reader FILE`) that hands the records back
pickled, so a crash there is one line here."""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.samples_rows import SamplesWriter

EVENTS = ("high-water mark", "leaks", "temporary allocations", "all allocations")
FREEING = ("FREE", "PYMALLOC_FREE", "MUNMAP")  # memray.AllocatorType names of records that free, not allocate
NO_MEMRAY = 3  # the child's exit status when memray is not installed
UNREADABLE = 4  # … when memray refuses the capture (its message on stderr)


def _records(records: Iterable[Any], native: bool, freeing: set[int]) -> list[tuple]:
    out = []
    for rec in records:
        if int(rec.allocator) in freeing:
            continue
        try:
            frames = rec.hybrid_stack_trace() if native else rec.stack_trace()
        except Exception:  # a record whose stack memray cannot resolve
            frames = []
        out.append((tuple((str(f[0]), str(f[1]) if len(f) > 1 else None) for f in frames), int(rec.size),
                    int(rec.n_allocations), int(rec.tid), rec.thread_name or None))
    return out


def collect(path: str) -> dict[str, Any]:
    """In the child: the capture's metadata and each view's records (frames innermost first, bytes,
    allocations, thread id and name)."""
    import memray

    r = memray.FileReader(path, report_progress=False)
    try:
        meta = r.metadata
        native = bool(meta.has_native_traces)
        freeing = {int(getattr(memray.AllocatorType, n)) for n in FREEING if hasattr(memray.AllocatorType, n)}
        views = [r.get_high_watermark_allocation_records(merge_threads=False),
                 r.get_leaked_allocation_records(merge_threads=False),
                 r.get_temporary_allocation_records(merge_threads=False), r.get_allocation_records()]
        return {"version": memray.__version__, "peak_memory": int(meta.peak_memory),
                "total_allocations": int(meta.total_allocations), "command_line": meta.command_line,
                "pid": meta.pid, "python_allocator": meta.python_allocator, "native_traces": native,
                "start_time": meta.start_time.isoformat(), "end_time": meta.end_time.isoformat(),
                "events": [_records(v, native, freeing) for v in views]}
    finally:
        r.close()


def _child(path: str, progress: Progress) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "pmdesk.readers.memray.reader", path], stdout=out,
                                stderr=err)
        try:
            while proc.poll() is None:
                progress.update(0.3, "reading the capture (memray)")  # raises when cancelled
                time.sleep(0.05)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err.seek(0)
        said = err.read().decode("utf-8", "replace").strip().splitlines()
        if proc.returncode == NO_MEMRAY:
            raise DumpFormatError(path, "is a memray capture; reading it needs the memray package (pip install "
                                  "'pmdesk[memray]'), which is not installed", 0)
        if proc.returncode == UNREADABLE:
            raise DumpFormatError(path, f"is a memray capture that memray {said[0] if said else '?'} cannot read "
                                  f"({said[-1][:160] if len(said) > 1 else 'damaged'}): read it with the memray "
                                  "release that wrote it", 0)
        if proc.returncode != 0:
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"status {proc.returncode}"
            raise DumpFormatError(path, f"is a damaged memray capture: memray's reader crashed on it ({how})", 0)
        out.seek(0)
        return pickle.load(out)  # our own child's output


def read_capture(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index the capture at `path` as stack samples, one event per view memray gives."""
    got = _child(path, progress)
    w = SamplesWriter([("space", "bytes"), ("allocations", "count")])
    frames: dict[tuple, int] = {}
    for name, records in zip(EVENTS, got["events"], strict=True):
        ev = w.event(name)
        progress.update(0.6, f"writing the samples: {name}")
        for stack, size, count, tid, thread_name in records:
            ids = [frames.setdefault(f, w.frame(f[0], None, f[1])) for f in reversed(stack)]
            w.sample(ids, [size, count], thread=w.thread(got["pid"], tid, thread_name), event=ev)
    progress.update(0.9, "writing the samples")
    w.write(sink, {"samples.source": "memray", "samples.default_type": "space", "memray.version": got["version"],
                   "memray.peak_memory": got["peak_memory"], "memray.total_allocations": got["total_allocations"],
                   "memray.command_line": got["command_line"], "memray.pid": got["pid"],
                   "memray.python_allocator": got["python_allocator"], "memray.native_traces": got["native_traces"],
                   "memray.start_time": got["start_time"], "memray.end_time": got["end_time"]})


def _main(path: str) -> int:
    try:
        import memray
    except ImportError:
        return NO_MEMRAY
    try:
        got = collect(path)
    except (OSError, RuntimeError, ValueError, KeyError, MemoryError) as e:
        print(memray.__version__, file=sys.stderr)
        print(str(e).strip().replace("\n", " ") or type(e).__name__, file=sys.stderr)
        return UNREADABLE
    pickle.dump(got, sys.stdout.buffer, pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
