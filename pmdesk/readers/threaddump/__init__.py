"""The thread-dump reader: Java (jstack, jcmd Thread.print, SIGQUIT output in a log; Android ART's ANR
traces; ThreadInfo.toString() as agents log it), Go goroutine dumps,
Python faulthandler output; sniffed by content, also when the dumps sit inside a larger log."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pmdesk.base.errors import DumpFormatError, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

if TYPE_CHECKING:
    from pmdesk.readers.thread_rows import DumpRecord


class _Parser:
    """A format's sniff on text and its parse, whichever form (lines or whole text) the parser takes."""

    def __init__(self, sniff: object, parse: object, whole_text: bool = False) -> None:
        self.sniff, self._parse, self.whole_text = sniff, parse, whole_text

    def parse(self, text: str, lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
        return self._parse(text if self.whole_text else lines, problems)


@cache
def parsers() -> tuple[tuple[str, _Parser], ...]:
    """(runtime, parser) in the order they are tried (imported on first use: a registry lookup needs none)."""
    from pmdesk.readers.threaddump import art_text, go_text, java_dump_to_file, java_text, java_threadinfo, python_text

    return (
        ("java", _Parser(java_text.sniff, java_text.parse)),
        ("java", _Parser(art_text.sniff, art_text.parse)),  # Android ART: ANR traces
        ("java", _Parser(java_dump_to_file.sniff_json, java_dump_to_file.parse_json, whole_text=True)),
        ("java", _Parser(java_dump_to_file.sniff_text, java_dump_to_file.parse_text)),
        ("java", _Parser(java_threadinfo.sniff, java_threadinfo.parse)),  # ThreadInfo.toString() in a log
        ("go", _Parser(go_text.sniff, go_text.parse)),
        ("python", _Parser(python_text.sniff, python_text.parse)),
    )

DEEP_SNIFF_BYTES = 64 << 20  # a log is searched this far for a dump that does not start it


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec `data` is in — by its byte-order mark, else by NUL bytes at every odd (LE) or even (BE)
    position of mostly-ASCII text, as Windows tools save a jstack — or None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4096]
    half = len(sample) // 2
    if half < 32:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.9 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.9 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _text(data: bytes) -> str | None:
    """The bytes as text with Unix line ends — None for binary data. UTF-16 (with or without a byte-order mark)
    is decoded as such; a few NUL bytes (a log rotated while it was being written) do not make a text binary;
    Windows line ends (a dump copied from Windows) are read as line ends."""
    codec = _utf16(data)
    if codec is not None:
        return data[:len(data) // 2 * 2].decode(codec, "replace").lstrip("\ufeff").replace("\r\n", "\n")
    nuls = data.count(b"\0", 0, 4096)
    if nuls > 16 or nuls * 100 > min(len(data), 4096):
        return None
    if nuls:
        data = data.replace(b"\0", b"")
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


class ThreadDumpReader:
    SPEC = ReaderSpec(name="threads", version=2, priority=50, extensions=(".txt", ".log", ".tdump", ".out"),
                      description="thread dumps (Java jstack/jcmd/SIGQUIT, Android ANR traces, Go goroutines, "
                                  "Python faulthandler)",
                      schema="threads")

    @staticmethod
    def sniff(head: bytes) -> bool:
        text = _text(head)
        return text is not None and any(p.sniff(text) for _n, p in parsers())

    @staticmethod
    def sniff_deep(path: str, head: bytes) -> bool:
        """For text files whose first bytes say nothing: do dumps appear further in (a program's log)?"""
        if _text(head) is None:
            return False
        with open(path, "rb") as f:
            data = f.read(DEEP_SNIFF_BYTES)
        text = _text(data)
        return text is not None and any(p.sniff(text) for _n, p in parsers())

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        progress.update(0.0, "reading thread dumps")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise PmdeskError(path, e.strerror or str(e)) from None
        text = _text(data)
        if text is None:
            raise DumpFormatError(path, "binary data, not a thread dump", 0)
        lines = text.splitlines()
        problems: list[tuple[int, str]] = []
        dumps = []
        used: _Parser | None = None
        for runtime, parser in parsers():
            if parser.sniff(text):
                try:
                    dumps = parser.parse(text, lines, problems)
                except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:  # not one, after all
                    raise DumpFormatError(path, f"unreadable thread dump ({type(e).__name__}: {str(e)[:200]})",
                                          0) from None
                except RecursionError:
                    raise DumpFormatError(path, "unreadable thread dump (nested too deeply)", 0) from None
                if dumps:
                    sink.meta("threads.runtime", runtime)
                    used = parser
                    break
        progress.update(0.8, "writing thread dumps")
        if not dumps:
            raise DumpFormatError(path, "no thread dump found in this text", 0)
        if not any(d.threads for d in dumps):  # a header and nothing after it: say so, not "0 threads"
            raise DumpFormatError(path, f"has a thread dump header at line {dumps[0].line:,} ({dumps[0].title[:60]!r}) "
                                  "but no thread after it: its lines are out of order, or it was cut right after "
                                  "its header")
        for line, what in problems[:100]:
            sink.diagnostic(line, "threads.unreadable_line", f"line {line:,}: {what}; skipped", "info")
        if len(problems) > 100:
            sink.diagnostic(None, "threads.unreadable_line", f"… and {len(problems) - 100:,} more", "info")
        lined = used is not None and not used.whole_text  # a JSON dump has no lines to be cut, nor state lines
        if lined and not text.endswith("\n"):
            sink.diagnostic(len(lines), "threads.cut", f"the file ends in the middle of line {len(lines):,}: the "
                            "last thread may be incomplete", "warning")
        for th in (t for d in dumps for t in d.threads
                   if lined and d.runtime == "java" and t.java_thread and not t.state):
            sink.diagnostic(th.line, "threads.cut", f"thread \"{th.name}\" (line {th.line:,}) is cut off before "
                            "its state line", "warning")
        from pmdesk.readers.thread_rows import write

        write(sink, dumps)
        sink.meta("threads.dumps", len(dumps))
        sink.meta("summary.threads", sum(len(d.threads) for d in dumps))
