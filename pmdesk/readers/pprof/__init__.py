"""The pprof reader: profile.proto (github.com/google/pprof/proto/profile.proto), raw or gzip-compressed,
sniffed by content (a Profile's first records are Profile's fields, a sample type among them)."""

from __future__ import annotations

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec
from pmdesk.readers.gzip_bytes import inflated_head
from pmdesk.readers.protobuf_wire import LEN, VARINT, WireError, fields

# Profile's fields (profile.proto) and the wire types they take; 13 (comment) may be packed or not
FIELD_WIRES = {1: {LEN}, 2: {LEN}, 3: {LEN}, 4: {LEN}, 5: {LEN}, 6: {LEN}, 7: {VARINT}, 8: {VARINT},
               9: {VARINT}, 10: {VARINT}, 11: {LEN}, 12: {VARINT}, 13: {VARINT, LEN}, 14: {VARINT}, 15: {VARINT}}


def looks_like_profile(head: bytes) -> bool:
    """The first records (as far as the head goes) are Profile's, one is a sample type whose ValueType holds
    its two string indexes, and the string table's first entry is the empty string when it is reached."""
    seen_type = False
    try:
        for n, f in enumerate(fields(head)):
            if f.wire not in FIELD_WIRES.get(f.number, ()):
                return False
            if f.number == 1:
                inner = list(f.message())
                if not inner or any(g.number not in (1, 2) or g.wire != VARINT for g in inner):
                    return False
                seen_type = True
            if f.number == 6 and not seen_type:
                return False
            if n > 64:
                break
    except WireError as e:
        if e.offset < len(head) - 16:  # a damaged record before the head was cut: not a profile
            return False
    return seen_type


class PprofReader:
    SPEC = ReaderSpec(name="pprof", version=2, priority=70, extensions=(".pb.gz", ".pprof", ".pb", ".prof"),
                      description="pprof profiles (profile.proto, raw or gzip-compressed)", schema="samples",
                      kernels=True, compressed=("gzip",))

    @staticmethod
    def sniff(head: bytes) -> bool:
        head = inflated_head(head)
        return bool(head) and looks_like_profile(head)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.pprof.reader import read_profile

        read_profile(path, sink, progress)
