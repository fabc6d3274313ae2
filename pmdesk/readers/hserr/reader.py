"""Reads a HotSpot fatal error log into the crash model and the index."""

from __future__ import annotations

from pmdesk.base.crash import Crash
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.base import read_capped
from pmdesk.readers.hserr.crash import crash_of
from pmdesk.readers.hserr.memory import LogMemory, log_memory
from pmdesk.readers.hserr.text import HsErr, parse

MAX_LOG_BYTES = 256 << 20  # HotSpot's logs are a few hundred KB (a few MB with thousands of threads)


def _load(path: str) -> HsErr:
    data = read_capped(path, MAX_LOG_BYTES, "a HotSpot error log")
    log = parse(data.decode("utf-8", "replace").replace("\0", ""))
    if log is None:
        raise DumpFormatError(path, "has no HotSpot error header ('# A fatal error has been detected…')", 0)
    if not log.sections and not any("pid=" in line for line in log.header):
        raise DumpFormatError(path, "is a HotSpot fatal error log cut before its error line ('SIGSEGV (0xb) at "
                              "pc=…, pid=…, tid=…')", 0)
    return log


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    progress.update(0.0, "reading the fatal error log")
    log = _load(path)
    progress.update(0.2, "reading the fatal error log")
    crash = crash_of(log, path, paths, progress)
    memory = log_memory(log)
    for r in crash.regions:  # the regions the printed stack and code fall in hold those bytes
        r.present_bytes = sum(max(0, min(r.end, s + len(d)) - max(r.start, s)) for s, d in memory.ranges)
    return crash


def open_memory(path: str) -> LogMemory | None:
    """The log's stack and code bytes, or None when it cannot be read again."""
    try:
        log = _load(path)
    except DumpFormatError:
        return None
    return log_memory(log)
