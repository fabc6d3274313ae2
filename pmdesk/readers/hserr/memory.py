"""The bytes a HotSpot fatal error log holds: 'Top of Stack: (sp=…)' (the stack as words, each printed as
a number, so written back little- or big-endian as the machine is) and 'Instructions: (pc=…)' (the code
around the pc as bytes) — the crash docks' Memory and Disassembly read them as a core's memory."""

from __future__ import annotations

import re

from pmdesk.readers.hserr.text import HsErr, platform_of

# a row: its address ('=>' marks the pc's in JDK 25), then bytes or words one space apart, then (JDK 25) the
# same as text after more spaces
_ROW = re.compile(r"^\s*(?:=>\s*)?(?P<addr>0x[0-9a-fA-F]+):\s+(?P<hex>[0-9a-fA-F]+(?: [0-9a-fA-F]+)*)(?:\s.*)?$")


def _rows(lines: list[str], big_endian: bool) -> list[tuple[int, bytes]]:
    """Each row's address and bytes: a token of two digits is a byte, a longer one a word (4 or 8 bytes)."""
    out: list[tuple[int, bytes]] = []
    for line in lines:
        m = _ROW.match(line)
        if m is None:
            continue
        chunk = bytearray()
        for tok in m.group("hex").split():
            if len(tok) not in (2, 8, 16):
                break
            chunk += int(tok, 16).to_bytes(len(tok) // 2, "big" if big_endian else "little")
        out.append((int(m.group("addr"), 16), bytes(chunk)))
    return out


class LogMemory:
    """Ranges of (start address, bytes), merged where they touch; reads inside one range only."""

    def __init__(self, ranges: list[tuple[int, bytes]], code: tuple[int, int] | None) -> None:
        merged: list[list] = []
        for start, data in sorted(ranges):
            if merged and merged[-1][0] + len(merged[-1][1]) == start:
                merged[-1][1] += data
            elif data:
                merged.append([start, bytearray(data)])
        self.ranges = [(s, bytes(d)) for s, d in merged]
        self.code = code

    def read(self, addr: int, n: int) -> bytes | None:
        for start, data in self.ranges:
            if start <= addr and addr + n <= start + len(data):
                return data[addr - start:addr - start + n]
        return None

    def u64(self, addr: int) -> int | None:
        raw = self.read(addr, 8)
        return int.from_bytes(raw, "little") if raw is not None else None

    def executable(self, addr: int) -> bool:
        return self.code is not None and self.code[0] <= addr < self.code[1]

    def close(self) -> None:
        pass

    @property
    def present_bytes(self) -> int:
        return sum(len(d) for _, d in self.ranges)


def log_memory(log: HsErr) -> LogMemory:
    """The stack words and instruction bytes the log printed (words in the machine's byte order)."""
    where = platform_of(log.header)
    big = where is not None and where.big_endian
    ranges: list[tuple[int, bytes]] = []
    code = None
    for s in log.sections_titled("Top of Stack"):
        ranges += _rows(s.lines[1:], big)
    for s in log.sections_titled("Instructions"):
        rows = _rows(s.lines[1:], big)
        ranges += rows
        if rows:
            code = (min(a for a, _ in rows), max(a + len(d) for a, d in rows))
    return LogMemory(ranges, code)
