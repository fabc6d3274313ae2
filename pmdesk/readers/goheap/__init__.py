"""The Go heap dump reader (`runtime/debug.WriteHeapDump`, header `go1.7 heap dump`): sniffing, and the
entry point that indexes a dump."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec
from pmdesk.readers.goheap.records import HEADER


class GoHeapReader:
    SPEC = ReaderSpec(name="goheap", version=1, priority=15, extensions=(".heapdump",),
                      description="Go heap dumps (runtime/debug.WriteHeapDump)", schema="goheap", kernels=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head.startswith(HEADER)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.goheap.reader import GoHeapScan

        GoHeapScan(path, sink, progress).run()
