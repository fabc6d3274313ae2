"""The HotSpot fatal error log reader: hs_err_pid<N>.log, the report a HotSpot JVM (6 to 25) writes when it
crashes — or where -XX:ErrorFile puts it, or on standard output (-XX:+ErrorFileToStdout, after the program's
own lines; -XX:+ShowMessageBoxOnError's prompt before it) — read into the crash model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.readers.base import ReaderSpec
from pmdesk.readers.crash_rows import ReportReader

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths
    from pmdesk.readers.hserr.memory import LogMemory

# the opening lines HotSpot has written (vmError.cpp): 'A fatal error…' since JDK 6, 'An unexpected error…'
# before, and the native out-of-memory report's own first line
OPENINGS = (b"# A fatal error has been detected by the Java Runtime Environment:",
            b"# An unexpected error has been detected by ",
            b"# There is insufficient memory for the Java Runtime Environment to continue.")


class HsErrReader(ReportReader):
    READER_MODULE = "pmdesk.readers.hserr.reader"
    SPEC = ReaderSpec(name="hserr", version=1, priority=38, extensions=(".log",),
                      description="HotSpot fatal error logs (hs_err_pid<N>.log)", schema="crash")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return any(o in head for o in OPENINGS) and b"\n#" in head

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> LogMemory | None:
        """The stack words and instruction bytes the log printed (its Top of Stack and Instructions)."""
        from pmdesk.readers.hserr.reader import open_memory

        return open_memory(path)
