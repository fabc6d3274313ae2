"""Names for image offsets of one Mach-O slice, as atos, Xcode and MacSymbolicator print them: the image
offset is looked up as it is (a report's offsets are not moved back from return addresses), the function
named is the outermost of an inline chain, with that entry's own file:line (the call site of what was
inlined into it), Swift names in Xcode's simplified form. From the dSYM's DWARF, else
the slice's symbol table ('name + offset' then, as in an unsymbolicated report)."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from typing import Any, BinaryIO

from elftools.common.exceptions import DWARFError

from pmdesk.native.dwarf_sections import macho_dwarf_info
from pmdesk.native.macho import MachOError, Slice, symbols
from pmdesk.native.swift_names import apple_name
from pmdesk.native.symbols import DwarfSymbols

DWARF_ERRORS = (DWARFError, MachOError, ValueError, KeyError, IndexError, OSError)


@dataclass
class AppleLocation:
    function: str
    file: str | None = None      # the source file as DWARF names it (atos prints its base name)
    line: int | None = None
    offset: int | None = None    # from the symbol's start, when only the symbol table named it

    @property
    def base_name(self) -> str | None:
        return os.path.basename(self.file) if self.file else None


class MachoImage:
    """One slice's symbols, opened on first use."""

    def __init__(self, sl: Slice) -> None:
        self.slice = sl
        self._file: BinaryIO | None = None
        self._dwarf: DwarfSymbols | None | bool = None
        self._symbols: tuple[list[int], list[str]] | None = None

    @property
    def dwarf(self) -> DwarfSymbols | None:
        if self._dwarf is None:
            self._dwarf = False
            if self.slice.has_dwarf:
                try:
                    self._file = open(self.slice.path, "rb")  # noqa: SIM115 - kept open while the image is
                    self._dwarf = DwarfSymbols(macho_dwarf_info(self.slice, self._file))
                except DWARF_ERRORS:
                    self._dwarf = False
        return self._dwarf or None

    def location(self, image_offset: int) -> AppleLocation | None:
        """The function at this image offset, or None when neither DWARF nor the symbol table names it."""
        addr = self.slice.text_vmaddr + image_offset
        dwarf = self.dwarf
        if dwarf is not None:
            try:
                found = self._from_dwarf(dwarf, addr)
            except DWARF_ERRORS:
                found = None
            if found is not None:
                return found
        return self._from_symbols(addr)

    def _from_dwarf(self, dwarf: DwarfSymbols, addr: int) -> AppleLocation | None:
        locs = dwarf.locations(addr)
        die = dwarf.function(addr)
        if not locs or die is None:
            return None
        outer = locs[-1]
        name = _linkage_name(die)
        function = apple_name(name) if name else outer.function
        if not function:
            return None
        return AppleLocation(function, outer.file, outer.line)

    def _from_symbols(self, addr: int) -> AppleLocation | None:
        if self._symbols is None:
            try:
                self._symbols = symbols(self.slice)
            except (MachOError, OSError):
                self._symbols = ([], [])
        addrs, names = self._symbols
        i = bisect.bisect_right(addrs, addr) - 1
        if i < 0:
            return None
        return AppleLocation(apple_name(names[i].removeprefix("_")), offset=addr - addrs[i])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _linkage_name(die: Any) -> str | None:
    """The function's linkage (mangled) name, through its declaration or abstract origin."""
    for _ in range(4):
        a = die.attributes
        for key in ("DW_AT_linkage_name", "DW_AT_MIPS_linkage_name"):
            if key in a:
                v = a[key].value
                return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
        ref = "DW_AT_specification" if "DW_AT_specification" in a else "DW_AT_abstract_origin" \
            if "DW_AT_abstract_origin" in a else None
        if ref is None:
            return None
        die = die.get_DIE_from_attribute(ref)
    return None
