"""The HPROF (Java heap dump) reader: sniffing, and the entry point that indexes a dump."""

from __future__ import annotations

import zlib

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec
from pmdesk.readers.hprof.records import GZIP_MAGIC, HEADER_PREFIX


class HprofReader:
    SPEC = ReaderSpec(name="hprof", version=3, priority=10, extensions=(".hprof", ".hprof.gz", ".bin"),
                      description="Java heap dumps (HPROF, plain or gzip)", schema="hprof", kernels=True,
                      compressed=("gzip",))

    @staticmethod
    def sniff(head: bytes) -> bool:
        if head.startswith(HEADER_PREFIX):
            return True
        if head.startswith(GZIP_MAGIC):
            try:
                return zlib.decompressobj(31).decompress(head, 64).startswith(HEADER_PREFIX)
            except zlib.error:
                return False
        return False

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.hprof.reader import HprofScan

        HprofScan(path, sink, progress).run()
