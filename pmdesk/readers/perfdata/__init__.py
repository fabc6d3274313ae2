"""The perf.data reader (`perf record`'s file, both byte orders, pipe mode, `-z`), sniffed by its magic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths

MAGICS = (b"PERFILE2", b"2ELIFREP")


class PerfDataReader:
    SPEC = ReaderSpec(name="perf", version=3, priority=65, extensions=(".data",),
                      description="perf record recordings (perf.data)", schema="samples", kernels=True,
                      symbol_paths=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head[:8] in MAGICS

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress, paths: SearchPaths | None = None) -> None:
        """The recording indexed, its binaries and debug files also looked for in `paths`' folders."""
        from pmdesk.readers.perfdata.reader import read_perf

        read_perf(path, sink, progress, paths)
