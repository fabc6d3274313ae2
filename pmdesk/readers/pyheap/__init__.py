"""The Python heap snapshot reader (files `pmdesk.capture.snapshot` writes, header `pmdesk pyheap 1`):
sniffing, and the entry point that indexes a snapshot."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

MAGIC = b"pmdesk pyheap 1\n"  # the capture module's header (pmdesk/capture, written there without this package)


class PyHeapReader:
    SPEC = ReaderSpec(name="pyheap", version=1, priority=16, extensions=(".pyheap",),
                      description="Python heap snapshots (pmdesk.capture)", schema="pyheap", kernels=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head.startswith(MAGIC)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.pyheap.reader import PyHeapScan

        PyHeapScan(path, sink, progress).run()
