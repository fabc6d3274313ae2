"""The Apple crash report reader: .ips (JSON, iOS 15+/macOS 12+) and legacy .crash text, sniffed by content,
symbolicated from dSYMs by UUID on any OS; `translate` renders an .ips as the .crash text Console shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.readers.apple.report import sniff_apple
from pmdesk.readers.base import ReaderSpec
from pmdesk.readers.crash_rows import ReportReader

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths


class AppleReportReader(ReportReader):
    READER_MODULE = "pmdesk.readers.apple.reader"
    SPEC = ReaderSpec(name="apple", version=1, priority=35, extensions=(".ips", ".crash"),
                      description="Apple crash reports (.ips, .crash; symbolicated from dSYMs by UUID)",
                      schema="crash")

    @staticmethod
    def sniff(head: bytes) -> bool:
        return sniff_apple(head)

    @staticmethod
    def translate(path: str, paths: SearchPaths | None) -> str:
        """The .ips as Console's .crash text; symbolicated from dSYMs when `paths` is given."""
        from pmdesk.readers.apple.translate import translate

        return translate(path, paths)
