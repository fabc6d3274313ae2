"""A loaded ELF image — an executable or library at its load address — and the files that describe it (its
binary and debug file, found by native/symbol_files.py), opened on first need: ELF symbols, DWARF functions
and lines, CFI. `locations(offset)` names the code at a module offset, inlined functions included."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pmdesk.base import crash
from pmdesk.native.cfi import ModuleCFI
from pmdesk.native.dwarf_sections import dwarf_info
from pmdesk.native.elf_sections import sections
from pmdesk.native.symbols import DwarfSymbols, ElfSymbols, Location, demangle


@dataclass
class Image:
    path: str          # the mapped file's path as the dump records it
    start: int
    end: int
    bias: int          # load address of the file's vaddr 0
    build_id: str | None
    name: str = ""     # as the dynamic linker names it (gdb's name); the mapped path when it has none
    binary: str | None = None
    debug_file: str | None = None
    looked: list[str] = field(default_factory=list)
    warning: str | None = None
    _elf: ELFFile | None = None
    _debug: ELFFile | None = None
    _files: list[BinaryIO] = field(default_factory=list)
    _symbols: ElfSymbols | None = None
    _dwarf: DwarfSymbols | None | bool = None
    _cfi: ModuleCFI | None = None

    @property
    def symbols_found(self) -> bool:
        return self.debug_file is not None or self._has_symtab()

    def _has_symtab(self) -> bool:
        elf = self.elf
        return elf is not None and sections(elf).get(".symtab") is not None

    def _open(self, path: str | None) -> ELFFile | None:
        if path is None:
            return None
        try:
            f = open(path, "rb")  # noqa: SIM115 - kept open while the image is
            self._files.append(f)
            return ELFFile(f)
        except (OSError, ELFError):
            return None

    @property
    def elf(self) -> ELFFile | None:
        if self._elf is None and self.binary:
            self._elf = self._open(self.binary)
        return self._elf

    @property
    def debug(self) -> ELFFile | None:
        if self._debug is None and self.debug_file:
            self._debug = self._open(self.debug_file)
        return self._debug

    @property
    def symbols(self) -> ElfSymbols:
        if self._symbols is None:
            self._symbols = ElfSymbols([e for e in (self.debug, self.elf) if e is not None])
        return self._symbols

    @property
    def dwarf(self) -> DwarfSymbols | None:
        if self._dwarf is None:
            src = next((e for e in (self.debug, self.elf) if e is not None and (
                sections(e).get(".debug_info") or sections(e).get(".zdebug_info"))), None)
            try:
                self._dwarf = DwarfSymbols(dwarf_info(src)) if src is not None else False
            except (ELFError, ValueError, KeyError):
                self._dwarf = False
        return self._dwarf or None

    @property
    def cfi(self) -> ModuleCFI:
        if self._cfi is None:
            self._cfi = ModuleCFI(self.elf, self.debug)
        return self._cfi

    def locations(self, offset: int) -> list[Location]:
        """The code at a module offset (a lookup address: a return address less one for callers): the
        innermost inlined function first, then those it was inlined into; from ELF symbols (one location,
        with the line table's file:line when there is one) when DWARF has no function there."""
        locs = self.dwarf.locations(offset) if self.dwarf is not None else None
        if locs:
            return locs
        name = self.symbols.lookup(offset)
        file, line = self.dwarf.line(offset) if self.dwarf is not None else (None, None)
        return [Location(demangle(name) if name else None, file, line, False)]

    def as_module(self) -> crash.Module:
        """The crash model's view of this image."""
        return crash.Module(self.name or self.path, self.start, self.end, self.bias, self.path, self.build_id,
                            binary=self.binary, debug_file=self.debug_file, symbols=self.symbols_found,
                            looked=list(self.looked), warning=self.warning)

    def close(self) -> None:
        for f in self._files:
            f.close()
