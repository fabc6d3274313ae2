"""Names for code addresses of one module: DWARF (the function, every inlined function around the address
with its call site, file and line from the line table — names qualified by namespace and class as gdb
prints them) and, without DWARF, the ELF symbol tables (.symtab of the debug file or binary, .dynsym),
demangled. Each compile unit is read only when an address falls in it."""

from __future__ import annotations

import bisect
import ctypes
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from elftools.common.exceptions import DWARFError
from elftools.dwarf.die import DIE
from elftools.dwarf.dwarfinfo import DWARFInfo
from elftools.elf.elffile import ELFFile

from pmdesk.native.die_scan import abbrev_table, compile_abbrevs, subprograms
from pmdesk.native.dwarf_sections import section
from pmdesk.native.elf_sections import sections
from pmdesk.native.line_table import rows as line_rows
from pmdesk.native.rust_demangle import demangle_v0

SCOPES = {"DW_TAG_namespace", "DW_TAG_class_type", "DW_TAG_structure_type", "DW_TAG_union_type"}
C_LANGUAGES = {0x1, 0x2, 0xC, 0x1D, 0x2C}  # DW_LANG_C89, C, C99, C11, C17
ASSEMBLER = 0x8001  # DW_LANG_Mips_Assembler: no function DIEs of its own worth naming; ELF symbols name it
# how gdb spells C++ integer types in names (its canonical form), from how GCC writes them in DWARF
CANONICAL = [(re.compile(rf"\b{k}\b"), v) for k, v in (
    ("long long unsigned int", "unsigned long long"), ("long unsigned int", "unsigned long"),
    ("short unsigned int", "unsigned short"), ("long long int", "long long"), ("long int", "long"),
    ("short int", "short"))]
FUNCTION_TAGS = {"DW_TAG_subprogram", "DW_TAG_inlined_subroutine"}


@dataclass
class Location:
    function: str | None
    file: str | None
    line: int | None
    inlined: bool
    main: bool = False  # the program's main (DW_AT_main_subprogram: Rust's crate::main), where gdb stops


@lru_cache(maxsize=1)
def _cxa_demangle() -> Any:
    fn = None
    for soname in ("libstdc++.so.6", "libc++abi.so.1"):  # the stable sonames; find_library spawns ldconfig
        try:
            fn = ctypes.CDLL(soname).__cxa_demangle
            break
        except (OSError, AttributeError):
            continue
    if fn is None:
        from ctypes import util

        lib = util.find_library("stdc++") or util.find_library("c++abi")
        try:
            fn = ctypes.CDLL(lib).__cxa_demangle if lib else None
        except (OSError, AttributeError):
            fn = None
    if fn is None:
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_int)]
    return fn


RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")


def demangle(name: str) -> str:
    """An Itanium C++ name as c++filt shows it, a legacy Rust one as gdb does (without its ::h<hash>), a
    Rust v0 one (`_R…`) as gdb and c++filt do; anything else unchanged."""
    if name.startswith("_R"):
        return demangle_v0(name) or name
    fn = _cxa_demangle()
    if fn is None or not name.startswith("_Z"):
        return name
    status = ctypes.c_int()
    out = fn(name.encode(), None, None, ctypes.byref(status))
    if status.value != 0 or not out:
        return name
    text = ctypes.string_at(out).decode("utf-8", "replace")
    ctypes.CDLL(None).free(ctypes.c_void_p(out))
    return RUST_HASH.sub("", text) if name.startswith("_ZN") and name.endswith("E") else text


SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym: name, info, other, shndx, value, size
SYM32 = struct.Struct("<IIIBBH")  # Elf32_Sym: name, value, size, info, other, shndx


def _symbols(data: bytes, entsize: int) -> Iterator[tuple[int, int, int, int, int, int]]:
    """(name, info, other, shndx, value, size) of each entry of an ELF64 or ELF32 symbol table."""
    if entsize == SYM.size:
        yield from SYM.iter_unpack(data)
    else:
        for name, value, size, info, other, shndx in SYM32.iter_unpack(data[:len(data) // SYM32.size * SYM32.size]):
            yield name, info, other, shndx, value, size
STT_OBJECT, STT_FUNC, STT_GNU_IFUNC = 1, 2, 10
STB_GLOBAL, STB_WEAK = 1, 2
STT_NOTYPE, SHF_EXECINSTR, HIDDEN = 0, 0x4, (1, 2)  # STV_INTERNAL, STV_HIDDEN
PLT_ENTRY = 16  # bytes of an x86-64 (and aarch64) PLT entry
RELA = struct.Struct("<QQq")


def _plt_entries(secs: Any) -> list[tuple[int, str]]:
    """perf's synthesised PLT symbols (tools/perf/util/symbol-elf.c, dso__synthesize_plt_symbols): the i-th
    .rela.plt relocation's symbol, `name@plt`, at the i-th entry of .plt.sec (CET builds) or of .plt after its
    16-byte header."""
    rela, plt = secs.get(".rela.plt"), secs.get(".plt.sec") or secs.get(".plt")
    if rela is None or plt is None or not rela.has_bytes or rela.link >= len(secs.list):
        return []
    dynsym = secs.list[rela.link]
    if dynsym.entsize != SYM.size or dynsym.link >= len(secs.list):
        return []
    syms, strs, data = secs.data(dynsym), secs.data(secs.list[dynsym.link]), secs.data(rela)
    first = plt.addr + (0 if plt.name == ".plt.sec" else PLT_ENTRY)
    out = []
    for i, (_offset, info, _addend) in enumerate(RELA.iter_unpack(data[:len(data) // RELA.size * RELA.size])):
        at = (info >> 32) * SYM.size
        if at + SYM.size > len(syms):
            continue
        name_at = SYM.unpack_from(syms, at)[0]
        name = strs[name_at:strs.find(b"\0", name_at)].decode("utf-8", "replace") if name_at < len(strs) else ""
        if name:
            out.append((first + PLT_ENTRY * i, f"{name}@plt"))
    return out
FUNC_KINDS = (STT_FUNC, STT_GNU_IFUNC)
ARANGE = struct.Struct("<QQ")  # a .debug_aranges tuple: start, length


class ElfSymbols:
    """FUNC symbols by address from the given ELF files' .symtab and .dynsym (a libc debug file has tens of
    thousands; names are decoded only for the symbols asked about)."""

    def __init__(self, elves: list[ELFFile]) -> None:
        self.strtabs: list[bytes] = []
        self.tables: list[bytes] = []  # the raw symbol tables (data symbols are picked out of them when asked)
        self.entsizes: list[int] = []  # each table's entry size (ELF64 or ELF32)
        self._objects: list[tuple[int, int, int, int]] | None = None
        funcs: list[tuple[int, int, int, int, int]] = []  # (value, size, name offset, table, binding)
        self._sections = [sections(elf) for elf in elves]  # perf's extra names are found there when first asked
        self._perf: tuple[list[int], list[tuple[int, int, int, int, int]], list[int], list[tuple[int, str]]] | \
            None = None
        for secs in self._sections:
            for name in (".symtab", ".dynsym"):
                sec = secs.get(name)
                if sec is None or sec.entsize not in (SYM.size, SYM32.size) or sec.link >= len(secs.list):
                    continue
                table = len(self.strtabs)
                data = secs.data(sec)
                funcs += [(value, size, st_name, table, info >> 4)
                          for st_name, info, _o, shndx, value, size in _symbols(data, sec.entsize)
                          if value and shndx and info & 0xF in FUNC_KINDS]
                self.tables.append(data)
                self.entsizes.append(sec.entsize)
                self.strtabs.append(secs.data(secs.list[sec.link]))
        self.funcs = funcs
        ranged = sorted((f for f in funcs if f[1] > 0), key=lambda f: f[0])
        self.sorted_values = [f[0] for f in ranged]
        self.sorted = ranged

    @property
    def objects(self) -> list[tuple[int, int, int, int]]:
        """Data symbols with a size: (value, size, name offset, table)."""
        if self._objects is None:
            self._objects = [(value, size, st_name, t) for t, data in enumerate(self.tables)
                             for st_name, info, _o, shndx, value, size in _symbols(data, self.entsizes[t])
                             if value and shndx and size and info & 0xF == STT_OBJECT]
        return self._objects

    def _text(self, name: int, table: int) -> str:
        data = self.strtabs[table]
        return data[name:data.index(b"\0", name)].decode("utf-8", "replace")

    def start_of(self, rel_pc: int) -> int | None:
        """The start of the function symbol holding rel_pc, None outside every one."""
        got = self.range_of(rel_pc)
        return got[0] if got is not None else None

    def range_of(self, rel_pc: int) -> tuple[int, int] | None:
        """(start, size in bytes) of the function symbol holding rel_pc, None outside every one."""
        j = bisect.bisect_right(self.sorted_values, rel_pc) - 1
        return (self.sorted[j][0], self.sorted[j][1]) if j >= 0 and rel_pc < self.sorted[j][0] + self.sorted[j][1] \
            else None

    def lookup(self, rel_pc: int) -> str | None:
        j = bisect.bisect_right(self.sorted_values, rel_pc) - 1
        if j < 0:
            return None
        first = bisect.bisect_left(self.sorted_values, self.sorted_values[j])
        value, size, _n, _t, _b = self.sorted[first]
        if rel_pc >= value + size:
            return None
        # several names at one address (clone3, __clone3, __GI___clone3): gdb sorts them by name and takes
        # the last
        return max(self._text(n, t) for _v, _s, n, t, _b in self.sorted[first:j + 1])

    def lookup_as_perf(self, rel_pc: int) -> str | None:
        """The name perf gives rel_pc (tools/perf/util/symbol.c): a symbol of no size reaches to the next one
        (symbols__fixup_end, an assembly _start's case); of several at one address, choose_best_symbol's — one
        with a size, then a non-weak one, then a global one, then the fewest leading underscores, then the
        longest name."""
        if self._perf is None:
            self._perf = self._perf_symbols()
        values, funcs, plt_starts, plt = self._perf
        k = bisect.bisect_right(plt_starts, rel_pc) - 1
        if k >= 0 and rel_pc < plt_starts[k] + PLT_ENTRY:
            return plt[k][1]
        j = bisect.bisect_right(values, rel_pc) - 1
        if j < 0:
            return None
        first = bisect.bisect_left(values, values[j])

        def rank(sym: tuple[str, int, int]) -> tuple[bool, bool, bool, int, int]:
            name, size, bind = sym
            return size > 0, bind != STB_WEAK, bind == STB_GLOBAL, -(len(name) - len(name.lstrip("_"))), len(name)

        name, size, _bind = max(((self._text(n, t), sz, b) for _v, sz, n, t, b in funcs[first:j + 1]), key=rank)
        end = values[first] + size if size else (values[j + 1] if j + 1 < len(values) else values[first] + 1)
        return name if rel_pc < end else None

    def _perf_symbols(self) -> tuple[list[int], list[tuple[int, int, int, int, int]], list[int],
                                     list[tuple[int, str]]]:
        """What perf names code by besides FUNC symbols: NOTYPE labels in executable sections (not hidden), and
        the synthesised name@plt entries of the first file that has them — (symbol starts, symbols sorted,
        PLT entry starts, PLT entries)."""
        labels = []
        table = 0
        for secs in self._sections:
            code = {i for i, h in enumerate(secs.list) if h.flags & SHF_EXECINSTR}
            for name in (".symtab", ".dynsym"):
                sec = secs.get(name)
                if sec is None or sec.entsize not in (SYM.size, SYM32.size) or sec.link >= len(secs.list):
                    continue
                labels += [(value, size, st_name, table, info >> 4)
                           for st_name, info, other, shndx, value, size in _symbols(self.tables[table], sec.entsize)
                           if info & 0xF == STT_NOTYPE and st_name and shndx in code and other & 3 not in HIDDEN]
                table += 1
        funcs = sorted(self.funcs + labels, key=lambda f: f[0])
        plt = next((got for got in map(_plt_entries, self._sections) if got), [])
        return [f[0] for f in funcs], funcs, [a for a, _n in plt], plt

    def object_at(self, rel: int) -> str | None:
        for value, size, name, table in self.objects:
            if value <= rel < value + size:
                return self._text(name, table)
        return None

    def object_address(self, name: str) -> int | None:
        """The value of the data symbol `name` — sized or not (Go's `type.*` marker has no size) — from the
        symbol and dynamic symbol tables, or None."""
        key = name.encode() + b"\0"
        for t, strtab in enumerate(self.strtabs):
            if strtab.find(key) < 0:
                continue
            for st_name, info, _o, shndx, value, _size in _symbols(self.tables[t], self.entsizes[t]):
                if value and shndx and info & 0xF == STT_OBJECT and strtab.startswith(key, st_name):
                    return value
        return None

    def address_of(self, names: set[str]) -> int | None:
        """The address of a function symbol with one of these names (string tables share tails: a name may
        start inside a longer one, so every occurrence is tried)."""
        for name in sorted(names):
            key = name.encode() + b"\0"
            for t, data in enumerate(self.strtabs):
                at = data.find(key)
                while at >= 0:
                    hit = next((f[0] for f in self.funcs if f[3] == t and f[2] == at), None)
                    if hit is not None:
                        return hit
                    at = data.find(key, at + 1)
        return None


class DwarfSymbols:
    """Functions, inlined functions and lines of one module's DWARF, read a compile unit at a time."""

    def __init__(self, dwarf: DWARFInfo) -> None:
        """`dwarf` made by native/dwarf_sections.py (dwarf_info for ELF, macho_dwarf_info for a dSYM)."""
        self.dwarf = dwarf
        aranges = section(self.dwarf, ".debug_aranges")
        self.aranges = _aranges(bytes(aranges.upto(aranges.size))) if aranges is not None else None
        self.cu_cache: dict[int, tuple[Any, list[tuple[int, int, DIE]], tuple[list[int], list[Any]]]] = {}
        self._cu_ranges: list[tuple[int, int, int]] | None = None

    def _cu_offset(self, addr: int) -> int | None:
        if self.aranges is not None:
            starts, ends, units = self.aranges
            i = bisect.bisect_right(starts, addr) - 1
            if i >= 0 and addr < ends[i]:
                return units[i]
            return None  # the units' address tables are complete; what they do not cover has no DWARF
        if self._cu_ranges is None:  # no .debug_aranges: each unit's own ranges
            self._cu_ranges = []
            for cu in self.dwarf.iter_CUs():
                self._own_abbrevs(cu)
                for lo, hi in self._ranges(cu.get_top_DIE()):
                    self._cu_ranges.append((lo, hi, cu.cu_offset))
        return next((off for lo, hi, off in self._cu_ranges if lo <= addr < hi), None)

    def _ranges(self, die: DIE) -> list[tuple[int, int]]:
        a = die.attributes
        if "DW_AT_low_pc" in a and "DW_AT_high_pc" in a:
            lo = a["DW_AT_low_pc"].value
            hi = a["DW_AT_high_pc"]
            end = hi.value if hi.form == "DW_FORM_addr" else lo + hi.value
            return [(lo, end)]
        if "DW_AT_ranges" in a and a["DW_AT_ranges"].form != "DW_FORM_rnglistx":  # rnglistx: split DWARF only
            try:
                rl = self.dwarf.range_lists()
                entries = rl.get_range_list_at_offset(a["DW_AT_ranges"].value, cu=die.cu) if rl is not None else []
            except (DWARFError, KeyError, ValueError, AttributeError):
                return []
            base = die.cu.get_top_DIE().attributes.get("DW_AT_low_pc")
            base_addr = base.value if base is not None else 0
            out = []
            for e in entries:
                if hasattr(e, "base_address"):
                    base_addr = e.base_address
                elif hasattr(e, "begin_offset"):
                    lo = e.begin_offset if e.is_absolute else base_addr + e.begin_offset
                    hi = e.end_offset if e.is_absolute else base_addr + e.end_offset
                    out.append((lo, hi))
            return out
        return []

    def _unit(self, offset: int) -> tuple[Any, list[tuple[int, int, DIE]], tuple[list[int], list[Any]]]:
        got = self.cu_cache.get(offset)
        if got is None:
            cu = self.dwarf.get_CU_at(offset)
            self._own_abbrevs(cu)
            funcs: list[tuple[int, int, DIE]] = self._scan(cu)
            if funcs is None:  # a form the fast walk does not know: pyelftools walks the unit's scopes
                funcs = []
                self._collect(cu.get_top_DIE(), funcs)
            funcs.sort(key=lambda f: f[0])
            got = self.cu_cache[offset] = (cu, funcs, self._lines(cu))
        return got

    def _own_abbrevs(self, cu: Any) -> None:
        """Give a unit the abbreviation table die_scan reads (pyelftools' own parse of it costs more than the
        rest of the unit's lookup)."""
        abbrevs = section(self.dwarf, ".debug_abbrev")
        at = cu["debug_abbrev_offset"]
        try:
            if abbrevs is not None and "_abbrev_table" not in cu.__dict__:
                cu.__dict__["_abbrev_table"] = abbrevs.prefix_for(at, lambda data: abbrev_table(data, at))
        except (IndexError, ValueError, struct.error):
            pass

    def _scan(self, cu: Any) -> list[tuple[int, int, Any]] | None:
        """Functions of a unit found by die_scan; their DIEs parsed only when an address falls in them."""
        abbrevs = compile_abbrevs(cu.get_abbrev_table(), cu["address_size"], cu.structs.dwarf_format // 8)
        if abbrevs is None:
            return None
        end = cu.cu_offset + cu["unit_length"] + cu.structs.initial_length_field_size()
        info = section(self.dwarf, ".debug_info")
        try:
            found = subprograms(info.upto(end), cu.cu_die_offset, end, abbrevs) if info is not None else []
        except (KeyError, IndexError, ValueError):
            return None
        out: list[tuple[int, int, Any]] = []
        for off, lo, hi in found:
            if lo >= 0:
                out.append((lo, hi, _LazyDIE(self.dwarf, cu, off)))
            else:  # code in pieces: the DIE's range list says where
                die = cu.get_DIE_from_refaddr(off)
                out += [(a, b, die) for a, b in self._ranges(die)]
        return out

    def _collect(self, die: DIE, funcs: list[tuple[int, int, DIE]]) -> None:
        """Subprograms with code, found through the unit's scopes without parsing function bodies (their
        sibling links skip them)."""
        for child in die.iter_children():
            if child.tag == "DW_TAG_subprogram":
                funcs += [(lo, hi, child) for lo, hi in self._ranges(child)]
            elif child.tag in SCOPES or child.tag == "DW_TAG_module":
                self._collect(child, funcs)

    def _lines(self, cu: Any) -> tuple[list[int], list[Any]]:
        prog = self.dwarf.line_program_for_CU(cu)
        if prog is None:
            return [], []
        lines = section(self.dwarf, ".debug_line")
        data = lines.upto(prog.program_end_offset) if lines is not None else b""
        table = sorted(line_rows(prog, data), key=lambda r: r[0])  # stable: the last row wins
        return [r[0] for r in table], [(f, line, end, prog) for _a, f, line, end in table]

    def _file_name(self, prog: Any, index: int) -> str | None:
        header = prog.header
        files = header.file_entry
        version = header.version
        i = index if version >= 5 else index - 1
        if not 0 <= i < len(files):
            return None
        entry = files[i]
        name = _text(entry.name)
        if os.path.isabs(name):
            return name
        dirs = header.include_directory
        d = entry.dir_index if version >= 5 else entry.dir_index - 1  # DWARF 5 counts the unit's own dir as 0
        if 0 <= d < len(dirs):
            return os.path.join(_text(dirs[d]), name)
        return name

    def _line_at(self, lines: tuple[list[int], list[Any]], addr: int) -> tuple[str | None, int | None]:
        addrs, rows = lines
        i = bisect.bisect_right(addrs, addr) - 1
        if i < 0 or rows[i][2]:
            return None, None
        file_index, line, _end, prog = rows[i]
        return self._file_name(prog, file_index), line

    def line(self, addr: int) -> tuple[str | None, int | None]:
        off = self._cu_offset(addr)
        if off is None:
            return None, None
        return self._line_at(self._unit(off)[2], addr)

    def entry(self, addr: int) -> int | None:
        """Where the piece of function code holding addr starts (its low_pc, or its range's start)."""
        off = self._cu_offset(addr)
        if off is None:
            return None
        for lo, hi, _die in self._unit(off)[1]:
            if lo <= addr < hi:
                return lo
            if lo > addr:
                break
        return None

    def function(self, addr: int) -> DIE | None:
        """The (concrete, outermost) subprogram DIE whose code holds addr."""
        off = self._cu_offset(addr)
        if off is None:
            return None
        _cu, funcs, _lines = self._unit(off)
        for lo, hi, die in funcs:
            if lo <= addr < hi:
                return die.die if isinstance(die, _LazyDIE) else die
            if lo > addr:
                break
        return None

    def locations(self, addr: int) -> list[Location] | None:
        """The functions at addr, innermost (inlined) first, each with its file and line; None if no
        compile unit covers addr, or if it is an assembler unit (ELF symbols name those, as in gdb)."""
        off = self._cu_offset(addr)
        if off is None:
            return None
        cu, funcs, lines = self._unit(off)
        if self.language(cu.get_top_DIE()) == ASSEMBLER:
            return None
        top = self.function(addr)
        chain = [top] if top is not None else None
        if chain is None:
            return None
        node = chain[0]
        while True:  # descend into inlined subroutines (through lexical blocks) covering addr
            inner = self._inlined_child(node, addr)
            if inner is None:
                break
            chain.append(inner)
            node = inner
        file, line = self._line_at(lines, addr)
        out = []
        prog = lines[1][0][3] if lines[1] else None
        for depth in range(len(chain) - 1, -1, -1):
            die = chain[depth]
            out.append(Location(self.name(die), file, line, depth > 0, depth == 0 and self._main(die)))
            a = die.attributes
            if depth > 0 and prog is not None:  # the caller's location is this inlined call's site
                file = self._file_name(prog, a["DW_AT_call_file"].value) if "DW_AT_call_file" in a else None
                line = a["DW_AT_call_line"].value if "DW_AT_call_line" in a else None
        return out

    def _main(self, die: DIE) -> bool:
        for _ in range(4):
            a = die.attributes
            if a.get("DW_AT_main_subprogram") is not None and a["DW_AT_main_subprogram"].value:
                return True
            if "DW_AT_specification" not in a and "DW_AT_abstract_origin" not in a:
                return False
            die = die.get_DIE_from_attribute("DW_AT_specification" if "DW_AT_specification" in a
                                             else "DW_AT_abstract_origin")
        return False

    def _inlined_child(self, die: DIE, addr: int) -> DIE | None:
        for child in die.iter_children():
            if child.tag == "DW_TAG_inlined_subroutine":
                if any(lo <= addr < hi for lo, hi in self._ranges(child)):
                    return child
            elif child.tag == "DW_TAG_lexical_block":
                ranges = self._ranges(child)
                if not ranges or any(lo <= addr < hi for lo, hi in ranges):
                    found = self._inlined_child(child, addr)
                    if found is not None:
                        return found
        return None

    def language(self, die: DIE) -> int | None:
        lang = die.cu.get_top_DIE().attributes.get("DW_AT_language")
        return lang.value if lang is not None else None

    def name(self, die: DIE) -> str | None:
        """A function's name as gdb prints it: for C the linkage name when there is one (glibc's
        __GI_raise), for C++ DW_AT_name qualified by the namespaces and classes around its declaration —
        both found through abstract origin / specification."""
        c = self.language(die) in C_LANGUAGES
        seen = 0
        while seen < 8:
            a = die.attributes
            if c and "DW_AT_linkage_name" in a:
                return _text(a["DW_AT_linkage_name"].value)
            if "DW_AT_name" in a and not (c and ("DW_AT_abstract_origin" in a or "DW_AT_specification" in a)):
                name = _text(a["DW_AT_name"].value)
                if c:
                    return name
                qualified = self._qualified(die, name)
                for rx, spelled in CANONICAL:
                    qualified = rx.sub(spelled, qualified)
                return qualified
            ref = a.get("DW_AT_abstract_origin") or a.get("DW_AT_specification")
            if ref is None:
                return None
            die = die.get_DIE_from_attribute("DW_AT_abstract_origin" if "DW_AT_abstract_origin" in a
                                             else "DW_AT_specification")
            seen += 1
        return None

    def _qualified(self, die: DIE, name: str) -> str:
        parts = [name]
        parent = die.get_parent()
        while parent is not None and parent.tag in SCOPES:
            pname = parent.attributes.get("DW_AT_name")
            parts.append(_text(pname.value) if pname is not None else "(anonymous namespace)")
            parent = parent.get_parent()
        return "::".join(reversed(parts))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def call_sites(die: DIE) -> list[DIE]:
    """The call-site DIEs inside a function (through lexical blocks and inlined subroutines)."""
    out = []
    for child in die.iter_children():
        if child.tag in ("DW_TAG_call_site", "DW_TAG_GNU_call_site"):
            out.append(child)
        elif child.tag in ("DW_TAG_lexical_block", "DW_TAG_inlined_subroutine"):
            out += call_sites(child)
    return out


def return_pc(site: DIE) -> int | None:
    a = site.attributes
    v = a.get("DW_AT_call_return_pc") or a.get("DW_AT_low_pc")
    return v.value if v is not None else None


def is_tail_call(site: DIE) -> bool:
    a = site.attributes
    return bool(a.get("DW_AT_call_tail_call") and a["DW_AT_call_tail_call"].value or
                a.get("DW_AT_GNU_tail_call") and a["DW_AT_GNU_tail_call"].value)


def target(site: DIE) -> DIE | None:
    for attr in ("DW_AT_call_origin", "DW_AT_abstract_origin"):
        if attr in site.attributes:
            try:
                return site.get_DIE_from_attribute(attr)
            except (DWARFError, KeyError, ValueError):
                return None
    return None


def _aranges(data: bytes) -> tuple[list[int], list[int], list[int]] | None:
    """.debug_aranges as sorted (start, end, unit offset) lists — read directly: pyelftools takes a fifth of a
    second on libc's."""

    rows = []
    at = 0
    try:
        while at + 12 <= len(data):
            length, = struct.unpack_from("<I", data, at)
            head = 4
            if length == 0xFFFFFFFF:
                length, = struct.unpack_from("<Q", data, at + 4)
                head = 12
            end = at + head + length
            p = at + head
            _version, = struct.unpack_from("<H", data, p)
            p += 2
            if head == 4:
                unit, = struct.unpack_from("<I", data, p)
                p += 4
            else:
                unit, = struct.unpack_from("<Q", data, p)
                p += 8
            addr_size, _seg = data[p], data[p + 1]
            p += 2
            if addr_size != 8:
                return None
            p = at + ((p - at + 15) // 16) * 16  # tuples start aligned to twice the address size
            tuples = data[p:p + max(0, (min(end, len(data)) - p) // 16 * 16)]
            rows += [(lo, lo + size, unit) for lo, size in ARANGE.iter_unpack(tuples) if lo or size]  # 0, 0 ends
            at = end
    except struct.error:
        return None
    rows.sort()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


class _LazyDIE:
    """A function DIE found by die_scan, parsed by pyelftools on first use."""

    __slots__ = ("_die", "cu", "dwarf", "offset")

    def __init__(self, dwarf: Any, cu: Any, offset: int) -> None:
        self.dwarf, self.cu, self.offset, self._die = dwarf, cu, offset, None

    @property
    def die(self) -> DIE:
        if self._die is None:
            self._die = self.cu.get_DIE_from_refaddr(self.offset)
        return self._die
