"""The tracemalloc snapshot reader (files `tracemalloc.Snapshot.dump` writes: a pickle of a Snapshot):
sniffing, and the entry point that indexes a snapshot as stack samples."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

PICKLE_PROTO = 0x80  # a pickle of protocol 2 or later starts with PROTO (Lib/pickletools.py)


def looks_like_snapshot(head: bytes) -> bool:
    """A binary pickle whose first global is tracemalloc's Snapshot (the names are its first strings)."""
    start = head[:96]
    return len(start) > 2 and start[0] == PICKLE_PROTO and start[1] >= 2 and b"tracemalloc" in start \
        and b"Snapshot" in start


class TracemallocReader:
    SPEC = ReaderSpec(name="tracemalloc", version=1, priority=68, extensions=(".tracemalloc", ".pickle"),
                      description="tracemalloc snapshots (tracemalloc.Snapshot.dump)", schema="samples")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return looks_like_snapshot(head)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.tracemalloc.reader import read_snapshot

        read_snapshot(path, sink, progress)
