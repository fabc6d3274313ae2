"""The ELF core reader: sniffing (an ELF file of type ET_CORE), the entry point that indexes a core, and what
a crash reader offers besides (the crash model with other symbol paths, the memory)."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from pmdesk.base.progress import Progress
from pmdesk.readers.base import CrashMemory, IndexSink, ReaderSpec

if TYPE_CHECKING:
    from pmdesk.base.crash import Crash
    from pmdesk.native.symbol_files import SearchPaths

ET_CORE = 4
DEEP_SNIFF_BYTES = 1 << 20  # zstd blocks inflate to at most 128 KiB: their compressed form fits well within


class ElfCoreReader:
    SPEC = ReaderSpec(name="elfcore", version=6, priority=30, extensions=(".core", ".zst", ".xz"),
                      description="ELF core dumps (Linux x86-64, aarch64; also zstd/xz/gzip-compressed)",
                      schema="core", compressed=("zstd", "xz", "gzip"))

    @staticmethod
    def sniff(head: bytes) -> bool:
        if not head.startswith(b"\x7fELF"):  # a compressed core (systemd-coredump's .zst …): its first bytes
            from pmdesk.readers.elfcore.compressed import kind_of, peek

            head = peek(head) if kind_of(head) else b""
        if len(head) < 18 or not head.startswith(b"\x7fELF"):
            return False
        order = "<" if head[5] == 1 else ">"
        return struct.unpack_from(order + "H", head, 16)[0] == ET_CORE

    @staticmethod
    def sniff_deep(path: str, head: bytes) -> bool:
        """zstd data whose first block is longer than the sniffed bytes: a core if the first MiB inflates to one."""
        from pmdesk.readers.elfcore.compressed import ZSTD_MAGIC, peek

        if not head.startswith(ZSTD_MAGIC):
            return False
        with open(path, "rb") as f:
            return ElfCoreReader.sniff(peek(f.read(DEEP_SNIFF_BYTES)))

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.elfcore.reader import read_core

        read_core(path, sink, progress)

    @staticmethod
    def crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
        """The crash model read again with these symbol paths (the index is not changed)."""
        from pmdesk.readers.elfcore.reader import read_crash

        return read_crash(path, paths, progress)

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> CrashMemory:
        """The process memory: the core's segments, and the mapped binaries for what it left out."""
        from pmdesk.readers.elfcore.reader import open_core

        return open_core(path, paths, Progress(path=path))
