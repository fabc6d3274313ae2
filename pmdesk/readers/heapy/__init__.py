"""The guppy3/heapy stat dump reader (`hpy().heap().stat.dump(file)` appends an entry each time it is called):
sniffing, and the entry point that indexes the series."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

FIRST_LINE = b".loader: _load_stat"  # every entry opens with it (guppy/heapy/Part.py, Stat.get_trows)


class HeapyReader:
    SPEC = ReaderSpec(name="heapy", version=1, priority=74, extensions=(".heapy", ".txt"),
                      description="guppy3/heapy stat dumps (a series of heap partitions in one file)",
                      schema="samples")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head.startswith(FIRST_LINE + b"\n") or head.startswith(FIRST_LINE + b"\r\n")

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.heapy.reader import read_stats

        read_stats(path, sink, progress)
