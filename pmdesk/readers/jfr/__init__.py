"""The JFR (Java Flight Recorder) reader: sniffing, and the entry point that indexes a recording."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

MAGIC = b"FLR\0"  # a chunk's first bytes


class JfrReader:
    SPEC = ReaderSpec(name="jfr", version=6, priority=20, extensions=(".jfr", ".jfr.gz"),
                      description="Java Flight Recorder recordings (JFR; gzip-compressed, a repository directory too)",
                      schema="jfr",
                      directories=True, kernels=True, compressed=("gzip",))

    @staticmethod
    def sniff(head: bytes) -> bool:
        from pmdesk.readers.gzip_bytes import inflated_head

        inner = inflated_head(head, 64)  # .jfr.gz: how profilers and CI systems keep recordings
        return inner is not None and inner.startswith(MAGIC)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.jfr.reader import read_recording

        read_recording(path, sink, progress)
