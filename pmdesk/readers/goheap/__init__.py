"""The Go heap dump reader (`runtime/debug.WriteHeapDump`, header `go1.7 heap dump`): sniffing, and the
entry point that indexes a dump."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec
from pmdesk.readers.goheap.records import HEADER

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths


class GoHeapReader:
    SPEC = ReaderSpec(name="goheap", version=1, priority=15, extensions=(".heapdump",),
                      description="Go heap dumps (runtime/debug.WriteHeapDump)", schema="goheap", kernels=True,
                      symbol_paths=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head.startswith(HEADER)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress, paths: SearchPaths | None = None) -> None:
        """The dump indexed; with `paths.exe` (the program that wrote it) its objects typed by its DWARF too."""
        from pmdesk.readers.goheap.reader import GoHeapScan

        GoHeapScan(path, sink, progress, paths.exe if paths is not None else None).run()
