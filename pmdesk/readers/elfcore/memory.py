"""The process memory a core holds: its PT_LOAD segments (bytes the core has; a segment cut short by a core
size limit has fewer than it claims), and, for what the kernel left out (read-only code of mapped files), the
mapped files themselves at the offsets NT_FILE records."""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable
from dataclasses import dataclass

from pmdesk.readers.elfcore.notes import Mapping


@dataclass
class Segment:
    start: int
    end: int  # start + memsz
    file_offset: int
    file_size: int  # bytes present in the core (may be less than memsz)
    flags: int  # PF_X 1, PF_W 2, PF_R 4


class Memory:
    def __init__(self, read_core: Callable[[int, int], bytes], segments: list[Segment], files: list[Mapping],
                 open_file: Callable[[str], object | None]) -> None:
        self.read_core = read_core
        self.segments = sorted(segments, key=lambda s: s.start)
        self.starts = [s.start for s in self.segments]
        self.files = sorted(files, key=lambda m: m.start)
        self.file_starts = [m.start for m in self.files]
        self.open_file = open_file  # path -> a readable binary file, or None when it is not here

    def add_files(self, files: list[Mapping]) -> None:
        """Mappings learnt after the notes (binaries placed by their load address when NT_FILE is absent)."""
        self.files = sorted([*self.files, *files], key=lambda m: m.start)
        self.file_starts = [m.start for m in self.files]

    def segment(self, addr: int) -> Segment | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.segments[i].start <= addr < self.segments[i].end:
            return self.segments[i]
        return None

    def mapping(self, addr: int) -> Mapping | None:
        i = bisect.bisect_right(self.file_starts, addr) - 1
        if i >= 0 and self.files[i].start <= addr < self.files[i].end:
            return self.files[i]
        return None

    def read(self, addr: int, n: int) -> bytes | None:
        """n bytes at addr, or None if the core does not have them all (and no mapped file does)."""
        seg = self.segment(addr)
        if seg is not None and addr + n <= seg.start + seg.file_size:
            data = self.read_core(seg.file_offset + addr - seg.start, n)
            return data if len(data) == n else None
        m = self.mapping(addr)
        if m is not None and addr + n <= m.end:
            f = self.open_file(m.path)
            at = m.offset + addr - m.start
            if f is not None and at >= 0:
                try:
                    f.seek(at)  # type: ignore[attr-defined]
                    data = f.read(n)  # type: ignore[attr-defined]
                except (OSError, OverflowError, ValueError):  # a damaged NT_FILE entry: outside the file
                    return None
                if len(data) == n:
                    return data
        return None

    def u64(self, addr: int) -> int | None:
        data = self.read(addr, 8)
        return None if data is None else struct.unpack("<Q", data)[0]

    def executable(self, addr: int) -> bool:
        seg = self.segment(addr)
        return seg is not None and bool(seg.flags & 1)
