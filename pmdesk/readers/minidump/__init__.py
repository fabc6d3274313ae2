"""The minidump reader: Breakpad, Crashpad and Windows `.dmp` files (the MDMP signature), every thread's stack
walked, modules identified by code and debug id; the dump's memory for the Memory and Disassembly docks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.readers.base import ReaderSpec
from pmdesk.readers.crash_rows import ReportReader

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths
    from pmdesk.readers.base import CrashMemory


class MinidumpReader(ReportReader):
    READER_MODULE = "pmdesk.readers.minidump.reader"
    SPEC = ReaderSpec(name="minidump", version=1, priority=37, extensions=(".dmp", ".mdmp"),
                      description="minidumps (Breakpad, Crashpad, Windows .dmp)", schema="crash")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return head[:4] == b"MDMP" and len(head) >= 32

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> CrashMemory | None:
        """The memory ranges the minidump holds, and module code from binaries found here."""
        from pmdesk.readers.minidump.reader import open_memory

        return open_memory(path, paths)
