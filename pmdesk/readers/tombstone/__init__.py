"""The Android tombstone reader: the text debuggerd writes to /data/tombstones and the protobuf form (raw or
gzip-compressed) apps get from ApplicationExitInfo, sniffed by content, symbolicated from .so files by
BuildId."""

from __future__ import annotations

from pmdesk.readers.base import ReaderSpec
from pmdesk.readers.crash_rows import ReportReader
from pmdesk.readers.gzip_bytes import inflated_head
from pmdesk.readers.protobuf_wire import LEN, VARINT, WireError, fields

TEXT_BANNER = b"*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"


def _proto_head(head: bytes) -> bool:
    """A Tombstone message starts with its arch (field 1, omitted for ARM32) and build fingerprint (field 2:
    'brand/product/device:release/id/incremental:type/tags')."""
    try:
        for f in fields(head):
            if f.number == 1 and f.wire == VARINT and f.value <= 5:
                continue
            if f.number == 2 and f.wire == LEN:
                fp = f.bytes
                return fp.count(b"/") >= 4 and fp.count(b":") >= 2 and fp.isascii()
            return False
    except WireError:
        return False
    return False


class TombstoneReader(ReportReader):
    READER_MODULE = "pmdesk.readers.tombstone.reader"
    SPEC = ReaderSpec(name="tombstone", version=1, priority=36, extensions=(".pb", ".pb.gz", ".txt"),
                      description="Android tombstones (text, and protobuf raw or gzip-compressed)", schema="crash",
                      compressed=("gzip",))

    @staticmethod
    def sniff(head: bytes) -> bool:
        head = inflated_head(head)
        if head is None:
            return False
        text = head.lstrip(b"\r\n ")
        if text.startswith(TEXT_BANNER):
            return b"\npid: " in head or b"\nBuild fingerprint: " in head or b"\nABI: " in head
        return _proto_head(head)
