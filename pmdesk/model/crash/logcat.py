"""A crash's logcat (the section an Android tombstone carries, `logcat -v threadtime` lines) as rows the Logcat
dock shows and filters, and the memory map around a fault (the Memory map dock): which region holds the
fault address, or between which it falls, as debuggerd marks it with `--->`; and which docks a crash needs
(memory, logcat, other text sections)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmdesk.base.crash import Crash, Region, Section

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

LOGCAT = "Logcat"  # the section's title
LINE = re.compile(r"^\s*((?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s+(\d+)\s+(\d+)\s+([VDIWEFS])\s+(.*?)\s*: ?(.*)$")
LEVELS = "VDIWEFS"  # verbose … fatal, silent: logcat's priority letters, lowest first


@dataclass(frozen=True)
class LogLine:
    time: str
    pid: int | None
    tid: int | None
    level: str       # one of LEVELS, '' for a line not in threadtime form
    tag: str
    message: str


def log_lines(crash: Crash) -> list[LogLine]:
    text = next((s.text for s in crash.sections if s.title == LOGCAT), "")
    out = []
    for line in text.split("\n") if text else []:
        m = LINE.match(line)
        if m:
            out.append(LogLine(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5), m.group(6)))
        elif line.strip():
            out.append(LogLine("", None, None, "", "", line.strip()))
    return out


def has_logcat(dump: Dump) -> bool:
    return dump.conn.execute("SELECT 1 FROM crash_section WHERE title = ? LIMIT 1", (LOGCAT,)).fetchone() is not None


def has_memory(dump: Dump) -> bool:
    """Whether the dump holds process memory (a core does; a report or tombstone only lists the map)."""
    return dump.conn.execute("SELECT 1 FROM crash_region WHERE present_bytes > 0 LIMIT 1").fetchone() is not None


def fault_position(regions: list[Region], address: int | None) -> tuple[int, bool] | None:
    """Where the fault address is in the (sorted) regions: (index, True) for the region holding it, or
    (index of the first region after it, False) when it falls before or between regions."""
    if address is None:
        return None
    for i, r in enumerate(regions):
        if r.start <= address < r.end:
            return i, True
        if address < r.start:
            return i, False
    return len(regions), False


def has_sections(dump: Dump) -> bool:
    """Whether the dump carries text sections besides logcat (a minidump's streams, a report's notes)."""
    return dump.conn.execute("SELECT 1 FROM crash_section WHERE title != ? LIMIT 1", (LOGCAT,)).fetchone() is not None


def text_sections(crash: Crash) -> list[Section]:
    """The crash's text sections, logcat aside (the Logcat dock shows it)."""
    return [s for s in crash.sections if s.title != LOGCAT]
