"""The perf.data reader (`perf record`'s file, both byte orders, pipe mode, `-z`), sniffed by its magic."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

MAGICS = (b"PERFILE2", b"2ELIFREP")


class PerfDataReader:
    SPEC = ReaderSpec(name="perf", version=2, priority=65, extensions=(".data",),
                      description="perf record recordings (perf.data)", schema="samples", kernels=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head[:8] in MAGICS

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.perfdata.reader import read_perf

        read_perf(path, sink, progress)
