"""The memray capture reader (`memray run -o FILE`): sniffing, and the entry point that indexes a capture
through memray's own FileReader — an optional extra (`pip install 'pmdesk[memray]'`): a capture's format
changes between memray releases, and only the library reads it as its writer meant."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

MAGIC = b"memray\0"       # the capture's header (memray/_memray/record_writer and records.h: MAGIC)
LZ4_FRAME = b"\x04\x22\x4d\x18"  # memray compresses its captures as an LZ4 frame unless told not to


def looks_like_capture(head: bytes) -> bool:
    """An uncompressed capture, or an LZ4 frame whose first literals are memray's header."""
    return head.startswith(MAGIC) or (head.startswith(LZ4_FRAME) and MAGIC in head[:64])


class MemrayReader:
    SPEC = ReaderSpec(name="memray", version=1, priority=69, extensions=(".bin",),
                      description="memray captures (memray run -o; read with the memray package)", schema="samples")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return looks_like_capture(head)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.memray.reader import read_capture

        read_capture(path, sink, progress)
