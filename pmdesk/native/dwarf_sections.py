"""A module's DWARF sections (an ELF file's, or a Mach-O dSYM's) read on demand. pyelftools'
ELFFile.get_dwarf_info reads — and for SHF_COMPRESSED
sections decompresses — every debug section up front: 55 ms for libc's debug file, most of a core's first
stack. Here each section is read when first used, and a large compressed one is decompressed only as far as
it has been read (the unit a pc falls in, its line program); the DWARFInfo built over them is pyelftools'
own."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any, BinaryIO

from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DwarfConfig, DWARFInfo
from elftools.elf.elffile import ELFFile

from pmdesk.native.elf_sections import CHDR, ELFCOMPRESS_ZLIB, SHF_COMPRESSED, sections
from pmdesk.native.macho import Slice

EAGER_BELOW = 256 << 10  # smaller sections (strings, aranges) are read whole: a C stream reads them fastest
CHUNK = 64 << 10  # compressed bytes fed to zlib at a time
NAMES = ("info", "aranges", "abbrev", "frame", "str", "loc", "ranges", "line", "pubtypes", "pubnames", "addr",
         "str_offsets", "line_str", "loclists", "rnglists", "sup", "types")


class LazySection:
    """A section as a seekable stream whose bytes are read or decompressed when first asked for."""

    def __init__(self, stream: BinaryIO, offset: int, size: int, compressed: bool, elfclass: int = 64) -> None:
        self.file, self.pos = stream, 0
        self.data = bytearray()
        if compressed:
            chdr = CHDR[elfclass]
            stream.seek(offset)
            ch_type, *rest = chdr.unpack(stream.read(chdr.size))
            if ch_type != ELFCOMPRESS_ZLIB:
                raise ValueError(f"section compressed with type {ch_type}, not zlib")
            self.size = rest[-2] if elfclass == 64 else rest[0]  # ch_size
            self.z: Any = zlib.decompressobj()
            self.next_in, self.end_in = offset + chdr.size, offset + size
        else:
            self.size, self.z, self.next_in, self.end_in = size, None, offset, offset + size

    def upto(self, end: int) -> bytearray:
        """The section's bytes, at least the first `end` of them (all when it has fewer)."""
        end = min(end, self.size)
        while len(self.data) < end and self.next_in < self.end_in:
            self.file.seek(self.next_in)
            if self.z is None:
                chunk = self.file.read(min(self.end_in - self.next_in, max(end - len(self.data), CHUNK)))
                self.data += chunk
            else:
                chunk = self.file.read(min(self.end_in - self.next_in, CHUNK))
                self.data += self.z.decompress(chunk)
            if not chunk:
                break
            self.next_in += len(chunk)
        return self.data

    def prefix_for(self, start: int, parse: Any) -> Any:
        """parse(bytes) for a structure at `start` whose length is not known beforehand: tried on a prefix
        that grows until the parse stops running off its end."""
        n = 16 << 10
        while True:
            data = self.upto(start + n)
            try:
                return parse(data)
            except (IndexError, struct.error):
                if len(data) >= self.size:
                    raise
            n *= 4

    # the stream protocol pyelftools reads through
    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n < 0 else self.pos + n
        data = self.data if end <= len(self.data) else self.upto(end)
        out = bytes(data[self.pos:end])
        self.pos += len(out)
        return out

    def getvalue(self) -> bytes:
        return bytes(self.upto(self.size))


def _section(elf: ELFFile, name: str, lazies: dict[str, LazySection]) -> DebugSectionDescriptor | None:
    h = sections(elf).get(name)
    if h is None:
        return None
    lazy = lazies[name] = LazySection(elf.stream, h.offset, h.size, bool(h.flags & SHF_COMPRESSED), elf.elfclass)
    stream: Any = lazy if lazy.size >= EAGER_BELOW else io.BytesIO(lazy.getvalue())
    return DebugSectionDescriptor(stream=stream, name=name, global_offset=h.offset, size=lazy.size, address=h.addr)


def macho_dwarf_info(sl: Slice, stream: BinaryIO) -> DWARFInfo:
    """The DWARF of a Mach-O slice (a dSYM's __DWARF segment) over `stream`, the slice's open file, sections
    read on demand. Mach-O names them __debug_* (16 characters at most: __debug_str_offs)."""
    lazies: dict[str, LazySection] = {}

    def described(name: str) -> DebugSectionDescriptor | None:
        s = sl.sections.get(("__" + name)[:16])
        if s is None:
            return None
        lazy = lazies["." + name] = LazySection(stream, s.offset, s.size, False)
        data: Any = lazy if s.size >= EAGER_BELOW else io.BytesIO(lazy.getvalue())
        return DebugSectionDescriptor(stream=data, name="." + name, global_offset=s.offset, size=s.size,
                                      address=s.addr)

    got = DWARFInfo(config=DwarfConfig(little_endian=sl.little_endian, default_address_size=8 if sl.is_64 else 4,
                                       machine_arch=sl.arch),
                    eh_frame_sec=None, gnu_debugaltlink_sec=None,
                    **{f"debug_{n}_sec": described(f"debug_{n}") for n in NAMES})
    got.__dict__["_pmdesk_lazy"] = lazies
    return got


def dwarf_info(elf: ELFFile) -> DWARFInfo:
    """The file's DWARF with sections read on demand (one per ELFFile, kept on it). No relocations are
    applied: the debug files of executables and shared objects have none."""
    got = elf.__dict__.get("_pmdesk_dwarf")
    if got is None:
        if sections(elf).get(".zdebug_info") is not None:  # the old GNU .zdebug form: pyelftools' way
            got = elf.get_dwarf_info(relocate_dwarf_sections=False, follow_links=False)
            got.__dict__["_pmdesk_lazy"] = {}
        else:
            lazies: dict[str, LazySection] = {}
            described = {f"debug_{n}_sec": _section(elf, f".debug_{n}", lazies) for n in NAMES}
            got = DWARFInfo(
                config=DwarfConfig(little_endian=elf.little_endian, default_address_size=elf.elfclass // 8,
                                   machine_arch=elf.get_machine_arch()),
                eh_frame_sec=_section(elf, ".eh_frame", lazies),
                gnu_debugaltlink_sec=_section(elf, ".gnu_debugaltlink", lazies), **described)
            got.__dict__["_pmdesk_lazy"] = lazies
        elf.__dict__["_pmdesk_dwarf"] = got
    return got


def section(dwarf: DWARFInfo, name: str) -> LazySection | None:
    """The on-demand reader of a section of a DWARFInfo made by dwarf_info ('.debug_info', …)."""
    lazy = dwarf.__dict__["_pmdesk_lazy"].get(name)
    if lazy is None:
        desc = {".debug_info": dwarf.debug_info_sec, ".debug_abbrev": dwarf.debug_abbrev_sec,
                ".debug_line": dwarf.debug_line_sec, ".eh_frame": dwarf.eh_frame_sec}.get(name)
        if desc is None:
            return None
        lazy = LazySection(desc.stream, 0, desc.size, False)  # pyelftools' own in-memory stream
        dwarf.__dict__["_pmdesk_lazy"][name] = lazy
    return lazy
