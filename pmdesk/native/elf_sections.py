"""The section headers of an ELF file, read with one struct pass (pyelftools builds a Section object through
construct for every header the first time a section is looked up by name — 4–5 ms for a libc debug file),
a section's bytes (decompressed when it is SHF_COMPRESSED), and the GNU build-id among ELF notes."""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

from elftools.elf.elffile import ELFFile

SHT_SYMTAB, SHT_NOTE, SHT_NOBITS, SHT_DYNSYM = 2, 7, 8, 11
NT_GNU_BUILD_ID = 3
SHF_COMPRESSED = 0x800
ELFCOMPRESS_ZLIB = 1
SHDR = {64: struct.Struct("<IIQQQQIIQQ"), 32: struct.Struct("<IIIIIIIIII")}
CHDR = {64: struct.Struct("<IIQQ"), 32: struct.Struct("<III")}


class SectionHeader(NamedTuple):
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int  # in the file (compressed size for SHF_COMPRESSED)
    link: int
    entsize: int

    @property
    def has_bytes(self) -> bool:
        return self.type != SHT_NOBITS


class Sections:
    def __init__(self, elf: ELFFile) -> None:
        self.elf = elf
        h = elf.header
        shdr = SHDR[elf.elfclass]
        self.list: list[SectionHeader] = []
        if h.e_shoff and h.e_shnum and h.e_shentsize >= shdr.size:
            elf.stream.seek(h.e_shoff)
            table = elf.stream.read(h.e_shentsize * h.e_shnum)
            raw = [shdr.unpack_from(table, i * h.e_shentsize) for i in range(len(table) // h.e_shentsize)]
            names = b""
            if h.e_shstrndx < len(raw):
                strtab = raw[h.e_shstrndx]
                elf.stream.seek(strtab[4])
                names = elf.stream.read(strtab[5])
            for name, kind, flags, addr, offset, size, link, _info, _align, entsize in raw:
                end = names.find(b"\0", name)
                text = names[name:end if end >= 0 else len(names)].decode("utf-8", "replace")
                self.list.append(SectionHeader(text, kind, flags, addr, offset, size, link, entsize))
        self.by_name = {}
        for s in self.list:
            self.by_name.setdefault(s.name, s)

    def get(self, name: str) -> SectionHeader | None:
        """The named section, if the file has it with bytes (not SHT_NOBITS, as in a debug file)."""
        s = self.by_name.get(name)
        return s if s is not None and s.has_bytes else None

    def data(self, s: SectionHeader) -> bytes:
        self.elf.stream.seek(s.offset)
        data = self.elf.stream.read(s.size)
        if s.flags & SHF_COMPRESSED:
            chdr = CHDR[self.elf.elfclass]
            if struct.unpack_from("<I", data)[0] != ELFCOMPRESS_ZLIB:
                raise ValueError(f"section {s.name} is compressed other than with zlib")
            data = zlib.decompress(data[chdr.size:])
        return data


def sections(elf: ELFFile) -> Sections:
    """The file's sections (read once per ELFFile, kept on it)."""
    got = elf.__dict__.get("_pmdesk_sections")
    if got is None:
        got = elf.__dict__["_pmdesk_sections"] = Sections(elf)
    return got


def gnu_build_id(notes: bytes) -> str | None:
    """The GNU build-id in a run of ELF notes (a SHT_NOTE section or PT_NOTE segment), as hex."""
    at = 0
    while at + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from("<III", notes, at)
        name_end = at + 12 + ((namesz + 3) & ~3)
        if kind == NT_GNU_BUILD_ID and notes[at + 12:at + 12 + namesz].rstrip(b"\0") == b"GNU":
            return notes[name_end:name_end + descsz].hex()
        at = name_end + ((descsz + 3) & ~3)
    return None
