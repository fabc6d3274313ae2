"""Mach-O files, as far as symbolication needs them: the slices of a fat (universal) or thin file, each with
its architecture, LC_UUID, the __TEXT segment's vmaddr (an image offset in a crash report is relative to
it), its sections (a dSYM's DWARF is in the __DWARF segment) and its symbol table (LC_SYMTAB nlist entries).

Layouts from Apple's <mach-o/loader.h>, <mach-o/fat.h> and <mach-o/nlist.h> (the XNU sources,
EXTERNAL_HEADERS/mach-o/). Every length and offset read is checked against the file's size: a damaged file is
a MachOError, never a read past its end.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

FAT_MAGIC = 0xCAFEBABE      # big-endian fat header, 32-bit fat_arch entries
FAT_MAGIC_64 = 0xCAFEBABF   # 64-bit fat_arch_64 entries
MH_MAGIC = 0xFEEDFACE       # 32-bit thin image
MH_MAGIC_64 = 0xFEEDFACF    # 64-bit thin image
LC_SEGMENT = 0x1
LC_SYMTAB = 0x2
LC_SEGMENT_64 = 0x19
LC_UUID = 0x1B
N_STAB = 0xE0
N_TYPE = 0x0E
N_SECT = 0x0E
JAVA_MAJOR_MIN = 20  # as file(1) tells them apart: fewer slices than this, else a class file (major >= 45)
MAX_COMMANDS = 100_000
CPU_ARCH_ABI64 = 0x01000000
CPU_ARCH_ABI64_32 = 0x02000000
CPU_NAMES = {7: "i386", 7 | CPU_ARCH_ABI64: "x86_64", 12: "arm", 12 | CPU_ARCH_ABI64: "arm64",
             12 | CPU_ARCH_ABI64_32: "arm64_32", 18: "ppc", 18 | CPU_ARCH_ABI64: "ppc64"}
CPU_SUBTYPE_ARM64E = 2
CPU_SUBTYPE_MASK = 0x00FFFFFF


class MachOError(ValueError):
    """The file is not a Mach-O file, or is damaged where it matters."""


@dataclass(frozen=True)
class MachSection:
    segment: str
    name: str
    addr: int
    size: int
    offset: int  # in the file (the slice's offset already added)


@dataclass
class Slice:
    """One architecture's image in a Mach-O file."""

    path: str
    offset: int                  # where the slice starts in the file
    size: int
    arch: str                    # 'arm64', 'arm64e', 'x86_64', …
    uuid: str | None = None      # lower-case hex, 32 digits, no dashes
    text_vmaddr: int = 0         # __TEXT's vmaddr: the address of image offset 0
    little_endian: bool = True
    is_64: bool = True
    sections: dict[str, MachSection] = field(default_factory=dict)  # by section name ('__debug_info')
    symtab: tuple[int, int, int, int] | None = None  # symoff, nsyms, stroff, strsize (slice-relative)

    @property
    def has_dwarf(self) -> bool:
        return "__debug_info" in self.sections


def is_macho(head: bytes) -> bool:
    """Whether these leading bytes start a Mach-O file (thin, either byte order, or fat)."""
    if len(head) < 4:
        return False
    le, be = struct.unpack_from("<I", head)[0], struct.unpack_from(">I", head)[0]
    if be in (FAT_MAGIC, FAT_MAGIC_64):  # Java class files share 0xCAFEBABE: their next word is a version
        return len(head) >= 8 and 0 < struct.unpack_from(">I", head, 4)[0] < JAVA_MAJOR_MIN
    return le in (MH_MAGIC, MH_MAGIC_64) or be in (MH_MAGIC, MH_MAGIC_64)


def slices(path: str) -> list[Slice]:
    """Every slice of the file at `path` with its identity and sections; MachOError when it is not Mach-O."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if not is_macho(head):
            raise MachOError(f"{path}: not a Mach-O file")
        magic = struct.unpack_from(">I", head)[0]
        if magic not in (FAT_MAGIC, FAT_MAGIC_64):
            return [_thin(f, path, 0, size)]
        n = struct.unpack_from(">I", head, 4)[0]
        wide = magic == FAT_MAGIC_64
        entry = struct.Struct(">iiQQII" if wide else ">iiIII")
        table = f.read(entry.size * n)
        if len(table) < entry.size * n:
            raise MachOError(f"{path}: fat header cut short")
        out = []
        for i in range(n):
            _cpu, _sub, offset, length, *_ = entry.unpack_from(table, i * entry.size)
            if offset + length > size or length < 28:
                raise MachOError(f"{path}: slice {i} lies outside the file")
            out.append(_thin(f, path, offset, length))
        return out


def _thin(f: BinaryIO, path: str, offset: int, length: int) -> Slice:
    f.seek(offset)
    head = f.read(32)
    if len(head) < 28:
        raise MachOError(f"{path}: Mach-O header cut short")
    le = struct.unpack_from("<I", head)[0] in (MH_MAGIC, MH_MAGIC_64)
    o = "<" if le else ">"
    magic, cpu, sub, _filetype, ncmds, sizeofcmds, _flags = struct.unpack_from(o + "IiiIIII", head)
    is_64 = magic == MH_MAGIC_64
    if ncmds > MAX_COMMANDS or sizeofcmds > length:
        raise MachOError(f"{path}: {ncmds:,} load commands in {sizeofcmds:,} bytes do not fit the file")
    arch = CPU_NAMES.get(cpu, f"cpu{cpu:#x}")
    if arch == "arm64" and sub & CPU_SUBTYPE_MASK == CPU_SUBTYPE_ARM64E:
        arch = "arm64e"
    s = Slice(path, offset, length, arch, little_endian=le, is_64=is_64)
    f.seek(offset + (32 if is_64 else 28))
    cmds = f.read(sizeofcmds)
    pos = 0
    for _ in range(ncmds):
        if pos + 8 > len(cmds):
            raise MachOError(f"{path}: load commands cut short")
        cmd, cmdsize = struct.unpack_from(o + "II", cmds, pos)
        if cmdsize < 8 or pos + cmdsize > len(cmds):
            raise MachOError(f"{path}: a load command of {cmdsize} bytes runs past the commands")
        body = cmds[pos:pos + cmdsize]
        if cmd == LC_UUID and cmdsize >= 24:
            s.uuid = body[8:24].hex()
        elif cmd in (LC_SEGMENT_64, LC_SEGMENT):
            _segment(s, body, o, cmd == LC_SEGMENT_64)
        elif cmd == LC_SYMTAB and cmdsize >= 24:
            s.symtab = struct.unpack_from(o + "IIII", body, 8)
        pos += cmdsize
    return s


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _segment(s: Slice, body: bytes, o: str, wide: bool) -> None:
    head = struct.Struct(o + "16sQQQQiiII" if wide else o + "16sIIIIiiII")
    sect = struct.Struct(o + "16s16sQQIIIIIIII" if wide else o + "16s16sIIIIIIIII")
    if len(body) < 8 + head.size:
        return
    segname, vmaddr, _vmsize, _fileoff, _filesize, _maxprot, _initprot, nsects, _flags = head.unpack_from(body, 8)
    seg = _name(segname)
    if seg == "__TEXT":
        s.text_vmaddr = vmaddr
    pos = 8 + head.size
    for _ in range(nsects):
        if pos + sect.size > len(body):
            break
        sectname, sseg, addr, size, offset, *_ = sect.unpack_from(body, pos)
        name = _name(sectname)
        if offset and offset + size <= s.size:  # zero-fill sections and those a dSYM does not carry have none
            s.sections.setdefault(name, MachSection(_name(sseg), name, addr, size, s.offset + offset))
        pos += sect.size


def symbols(sl: Slice) -> tuple[list[int], list[str]]:
    """The slice's defined symbols (N_SECT, not debugger stabs), sorted by address: (addresses, raw names as
    the linker wrote them, with their leading underscore)."""
    if sl.symtab is None:
        return [], []
    symoff, nsyms, stroff, strsize = sl.symtab
    entry = struct.Struct(("<" if sl.little_endian else ">") + ("IBBHQ" if sl.is_64 else "IBBHI"))
    if symoff + nsyms * entry.size > sl.size or stroff + strsize > sl.size:
        raise MachOError(f"{sl.path}: the symbol table lies outside the {sl.arch} slice")
    with open(sl.path, "rb") as f:
        f.seek(sl.offset + symoff)
        table = f.read(nsyms * entry.size)
        f.seek(sl.offset + stroff)
        strings = f.read(strsize)
    found = []
    for strx, n_type, _sect, _desc, value in entry.iter_unpack(table):
        if n_type & N_STAB or n_type & N_TYPE != N_SECT or strx >= len(strings):
            continue
        end = strings.find(b"\0", strx)
        found.append((value, strings[strx:end if end >= 0 else len(strings)].decode("utf-8", "replace")))
    found.sort()
    return [a for a, _ in found], [n for _, n in found]


def uuid_key(text: str) -> str:
    """A UUID in any of the spellings reports use (dashed or not, either case) as 32 lower-case hex digits."""
    return text.replace("-", "").strip("<> ").lower()
