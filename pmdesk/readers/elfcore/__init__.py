"""The ELF core reader: sniffing (an ELF file of type ET_CORE) and the entry point that indexes a core."""

from __future__ import annotations

import struct

from pmdesk.core.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

ET_CORE = 4


class ElfCoreReader:
    SPEC = ReaderSpec(name="elfcore", version=3, priority=30, extensions=(".core",),
                      description="ELF core dumps (Linux x86-64, aarch64)", schema="elfcore")

    @staticmethod
    def sniff(head: bytes) -> bool:
        if len(head) < 18 or not head.startswith(b"\x7fELF"):
            return False
        order = "<" if head[5] == 1 else ">"
        return struct.unpack_from(order + "H", head, 16)[0] == ET_CORE

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.elfcore.reader import read_core

        read_core(path, sink, progress)
