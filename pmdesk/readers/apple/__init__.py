"""The Apple crash report reader: .ips (JSON, iOS 15+/macOS 12+) and legacy .crash text, sniffed by content,
symbolicated from dSYMs by UUID on any OS; `translate` renders an .ips as the .crash text Console shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.base.progress import Progress
from pmdesk.readers.apple.report import sniff_apple
from pmdesk.readers.base import IndexSink, ReaderSpec

if TYPE_CHECKING:
    from pmdesk.base.crash import Crash
    from pmdesk.native.symbol_files import SearchPaths


class AppleReportReader:
    SPEC = ReaderSpec(name="apple", version=1, priority=35, extensions=(".ips", ".crash"),
                      description="Apple crash reports (.ips, .crash; symbolicated from dSYMs by UUID)",
                      schema="crash")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return sniff_apple(head)

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.apple.reader import read_report

        read_report(path, sink, progress)

    @staticmethod
    def crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
        """The crash model read again with these symbol folders (the index is not changed)."""
        from pmdesk.readers.apple.reader import read_crash

        return read_crash(path, paths, progress)

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> None:
        """A report holds no process memory."""
        return None

    @staticmethod
    def translate(path: str, paths: SearchPaths | None) -> str:
        """The .ips as Console's .crash text; symbolicated from dSYMs when `paths` is given."""
        from pmdesk.readers.apple.translate import translate

        return translate(path, paths)
