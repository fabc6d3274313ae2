"""Where an ELF file's loaded segments lie in a process that loaded it at a base address (the page its first
PT_LOAD starts at): (start, end, file offset, path) of each, so code a dump lacks can be read from the file."""

from __future__ import annotations

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

PAGE = 0x1000


def loaded_segments(path: str, base: int) -> list[tuple[int, int, int, str]]:
    """The file's PT_LOAD segments placed at `base`; [] when it cannot be read as ELF."""
    try:
        with open(path, "rb") as f:
            loads = [s.header for s in ELFFile(f).iter_segments() if s.header.p_type == "PT_LOAD"]
    except (OSError, ELFError, ValueError):
        return []
    if not loads:
        return []
    bias = base - (loads[0].p_vaddr & ~(PAGE - 1))
    return [(bias + h.p_vaddr, bias + h.p_vaddr + h.p_filesz, h.p_offset, path) for h in loads if h.p_filesz]
