"""A memray capture through memray.FileReader: the allocations alive at the high-water mark, those never
freed (leaks), the ones freed almost at once (temporary), and every allocation, each an event of stack
samples weighted by bytes and allocations, per thread; stacks are Python frames (with native ones between
when the capture recorded them), root first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.samples_rows import SamplesWriter

EVENTS = ("high-water mark", "leaks", "temporary allocations", "all allocations")
FREEING = ("FREE", "PYMALLOC_FREE", "MUNMAP")  # memray.AllocatorType names of records that free, not allocate


def _reader(path: str) -> Any:
    try:
        import memray
    except ImportError:
        raise DumpFormatError(path, "is a memray capture; reading it needs the memray package (pip install "
                              "'pmdesk[memray]'), which is not installed", 0) from None
    try:
        return memray, memray.FileReader(path, report_progress=False)
    except Exception as e:  # memray says why in its own words: format version, damage
        raise DumpFormatError(path, f"is a memray capture that memray {memray.__version__} cannot read "
                              f"({str(e).strip()[:160] or type(e).__name__}): read it with the memray release that "
                              "wrote it", 0) from None


def read_capture(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index the capture at `path` as stack samples, one event per view memray gives."""
    memray, r = _reader(path)
    meta = r.metadata
    native = bool(meta.has_native_traces)
    w = SamplesWriter([("space", "bytes"), ("allocations", "count")])
    freeing = {int(getattr(memray.AllocatorType, n)) for n in FREEING if hasattr(memray.AllocatorType, n)}

    def add(event: str, records: Iterable[Any], step: float) -> None:
        ev = w.event(event)
        stacks: dict[tuple[Any, ...], int] = {}
        for k, rec in enumerate(records):
            if int(rec.allocator) in freeing:
                continue
            try:
                frames = rec.hybrid_stack_trace() if native else rec.stack_trace()
            except Exception:  # a record whose stack memray cannot resolve
                frames = []
            key = tuple(frames)
            stack = [stacks.setdefault(f, w.frame(str(f[0]), None, str(f[1]) if len(f) > 1 else None))
                     for f in reversed(key)]
            th = w.thread(meta.pid, int(rec.tid), rec.thread_name or None)
            w.sample(stack, [int(rec.size), int(rec.n_allocations)], thread=th, event=ev)
            if k % 65536 == 0:
                progress.update(step, f"reading the capture: {event}")

    try:
        add(EVENTS[0], r.get_high_watermark_allocation_records(merge_threads=False), 0.1)
        add(EVENTS[1], r.get_leaked_allocation_records(merge_threads=False), 0.3)
        add(EVENTS[2], r.get_temporary_allocation_records(merge_threads=False), 0.5)
        add(EVENTS[3], r.get_allocation_records(), 0.7)
    except (OSError, RuntimeError, ValueError) as e:
        raise DumpFormatError(path, f"is a memray capture memray could not read to its end ({e})", 0) from None
    finally:
        r.close()
    progress.update(0.9, "writing the samples")
    w.write(sink, {"samples.source": "memray", "samples.default_type": "space", "memray.version": memray.__version__,
                   "memray.peak_memory": int(meta.peak_memory), "memray.total_allocations": int(meta.total_allocations),
                   "memray.command_line": meta.command_line, "memray.pid": meta.pid,
                   "memray.python_allocator": meta.python_allocator, "memray.native_traces": native,
                   "memray.start_time": meta.start_time.isoformat(), "memray.end_time": meta.end_time.isoformat()})
