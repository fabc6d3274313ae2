"""An ELF core opened for reading: its notes (threads, signal), memory, modules (NT_FILE mappings + the
build-ids found in the core's own memory, with their binaries and debug files located), and each thread's
stack — unwound by DWARF CFI (through signal trampolines), else by frame pointer, else by scanning the stack
for return addresses (each frame says which) — and symbolicated with DWARF (inlined frames included) or ELF
symbols."""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Any, BinaryIO

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.elffile import ELFFile

from pmdesk.base.crash import Frame, Wait
from pmdesk.native.arch import PC, SP, word_bytes
from pmdesk.native.disasm import memory_operand
from pmdesk.native.elf_sections import gnu_build_id
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, build_id_of_file, find_binary, find_debug_file
from pmdesk.native.symbolicate import Symbolizer
from pmdesk.readers.elfcore.compressed import CompressedCoreError, inflated
from pmdesk.readers.elfcore.locks import mutex_waits
from pmdesk.readers.elfcore.memory import Memory, Segment
from pmdesk.readers.elfcore.notes import CoreNotes, Mapping, read_notes

# the dynamic linkers' names, by machine: how a core whose program is missing finds its libraries
INTERPRETERS = {"EM_X86_64": ("ld-linux-x86-64.so.2",), "EM_AARCH64": ("ld-linux-aarch64.so.1",),
                "EM_PPC64": ("ld64.so.2",), "EM_386": ("ld-linux.so.2",)}
VDSO_MAX_BYTES = 1 << 20  # a vDSO is a few pages: a larger claim is damage
STACK_REACH = 64 << 10  # how far below the stack pointer a frame's first store may land


class CoreError(ValueError):
    pass


class Core:
    def __init__(self, path: str, paths: SearchPaths | None = None) -> None:
        self.path = path
        self.paths = paths or SearchPaths()
        self.dir = os.path.dirname(os.path.abspath(path))
        try:
            self.file = open(inflated(path), "rb")  # noqa: SIM115 - closed by close()
        except CompressedCoreError as e:
            raise CoreError(str(e)) from None
        try:
            self.elf = ELFFile(self.file)
        except (ELFError, ConstructError, OSError, struct.error, ValueError) as e:
            self.file.close()
            raise CoreError(f"not an ELF file ({e})") from None
        if self.elf.header.e_type != "ET_CORE":
            self.file.close()
            raise CoreError(f"an ELF {self.elf.header.e_type} file, not a core dump")
        self.machine = self.elf.header.e_machine
        size = os.fstat(self.file.fileno()).st_size
        segs = []
        self.truncated = 0
        notes_segs = []
        try:
            for seg in self.elf.iter_segments():
                h = seg.header
                if h.p_type == "PT_LOAD":
                    have = max(0, min(h.p_filesz, size - h.p_offset))
                    self.truncated += h.p_filesz - have
                    segs.append(Segment(h.p_vaddr, h.p_vaddr + h.p_memsz, h.p_offset, have, h.p_flags))
                elif h.p_type == "PT_NOTE":
                    notes_segs.append(seg)
        except (ELFError, ConstructError, OSError, struct.error, ValueError) as e:
            self.file.close()
            raise CoreError(f"its program headers cannot be read ({e})") from None
        self.notes: CoreNotes = read_notes(notes_segs, self.machine)
        self._located_paths: set[str] = set()
        self._located_files: dict[str, BinaryIO] = {}
        self.main_looked: list[str] = []
        self.warnings: list[str] = []  # binaries refused for not matching the core
        self.unchecked: list[str] = []  # binaries used without the core holding their headers (build-id unknown)
        self.word = word_bytes(self.machine)
        self._temp_files: list[str] = []  # the vDSO's image, copied out of the core
        self.memory = Memory(self._read_core, segs, self.notes.files, self._mapped_file)
        self.modules = self._modules()
        self.symbolizer = Symbolizer(self.machine, self.memory, self.module_at, self._main_path())

    def _read_core(self, offset: int, n: int) -> bytes:
        try:
            self.file.seek(offset)
            return self.file.read(n)
        except (OSError, ValueError, OverflowError):  # a damaged segment header's offset
            return b""

    def _mapped_file(self, path: str) -> BinaryIO | None:
        if path in self._located_paths:  # a binary pmdesk placed itself (no NT_FILE): the file it found
            if path not in self._located_files:
                self._located_files[path] = open(path, "rb")  # noqa: SIM115 - closed by close()
            return self._located_files[path]
        m = next((m for m in self.modules if m.path == path), None) if hasattr(self, "modules") else None
        if m is None or m.elf is None:
            return None
        return m.elf.stream

    # the crash memory a reader offers (readers/base.py CrashMemory): the core's segments and mapped files
    def read(self, addr: int, n: int) -> bytes | None:
        return self.memory.read(addr, n)

    def u64(self, addr: int) -> int | None:
        return self.memory.u64(addr)

    def executable(self, addr: int) -> bool:
        return self.memory.executable(addr)

    def close(self) -> None:
        for m in self.modules:
            m.close()
        for f in self._located_files.values():
            f.close()
        self.file.close()
        for path in self._temp_files:
            with contextlib.suppress(OSError):
                os.unlink(path)

    # ---------------------------------------------------------------- modules
    def _modules(self) -> list[Image]:
        main = self._main_path()
        if self.notes.files:
            out = self._modules_of(self.notes.files, main)
            names = self._link_map(next((m for m in out if m.path == main), None))
        else:  # no NT_FILE (qemu-user's cores, some embedded kernels): the binaries say where they lie
            located = self._located_main()
            out = self._modules_of(located, located[0].path if located else None)
            names = self._link_map(next(iter(out), None))
            if not out:  # the program is not here: the dynamic linker's own _r_debug lists the libraries
                names = self._link_map_from_interpreter()
            libraries, missing = self._located_libraries(names, {m.bias for m in out})
            out += self._modules_of(libraries, None) + missing
        vdso = self._vdso({m.start for m in out})
        if vdso is not None:
            out.append(vdso)
        if self.unchecked:
            self.warnings.append(f"the core does not hold the ELF headers of {len(self.unchecked)} module(s) (dumped "
                                 "without them, as a coredump_filter without bit 4 leaves them out): "
                                 f"{', '.join(self.unchecked)} used unchecked against the build-ids they ran with")
        out.sort(key=lambda m: m.start)
        self.starts = [m.start for m in out]
        for m in out:  # the names the dynamic linker used (/lib/…/libc.so.6, as gdb shows them)
            m.name = names.get(m.bias) or m.path
        return out

    def _modules_of(self, mappings: list[Mapping], main: str | None) -> list[Image]:
        by_path: dict[str, list[Mapping]] = {}
        for m in mappings:
            by_path.setdefault(m.path, []).append(m)
        out = []
        for path, maps in by_path.items():
            maps.sort(key=lambda m: m.start)
            first = next((m for m in maps if m.offset == 0), maps[0])
            build_id, vaddr0 = self._elf_in_memory(first.start)
            found = None
            if build_id is None and vaddr0 is None:
                if self.memory.read(first.start, 4) is not None:
                    continue  # not an ELF image (a data file, /dev/zero…)
                # the core lacks the image's first page (a coredump_filter without ELF headers, text not
                # dumped) and its file is not where NT_FILE says: the binary found by --exe, the search dirs or
                # its recorded path tells where its segments lie (gdb reads that file too)
                found = find_binary(path, None, self.paths, path == main, self.dir)
                head = _elf_of_file(found.path) if found.path is not None else None
                if head is None:
                    out.append(Image(path, maps[0].start, maps[-1].end, first.start, None,
                                     looked=list(found.looked)))
                    continue
                build_id, vaddr0 = head
                self.unchecked.append(found.path)
            mod = Image(path, maps[0].start, maps[-1].end, first.start - (vaddr0 or 0), build_id)
            if found is None:
                found = find_binary(path, build_id, self.paths, path == main, self.dir)
            mod.binary, mod.looked, mod.warning = found.path, list(found.looked), found.warning
            dbg = find_debug_file(mod.binary, build_id, self.paths)
            mod.debug_file = dbg.path
            mod.looked += dbg.looked
            out.append(mod)
        return out

    def _vdso(self, placed: set[int]) -> Image | None:
        """The kernel's vDSO (the auxiliary vector's AT_SYSINFO_EHDR; i386 enters every system call through its
        __kernel_vsyscall) as a module: its image is in the core's memory only, so it is copied to a file of
        this Core's own (removed by close) for its symbols and CFI."""
        at = self.notes.auxv.get(33)
        if not at or at in placed:
            return None
        head = self.memory.read(at, 64)
        if head is None or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
            return None
        if head[4] == 2:  # the image ends with its section headers: e_shoff + e_shnum * e_shentsize
            shoff, = struct.unpack_from("<Q", head, 40)
            shentsize, shnum = struct.unpack_from("<HH", head, 58)
        else:
            shoff, = struct.unpack_from("<I", head, 32)
            shentsize, shnum = struct.unpack_from("<HH", head, 46)
        size = shoff + shentsize * shnum
        data = self.memory.read(at, size) if 0 < size <= VDSO_MAX_BYTES else None
        if data is None:
            return None
        import tempfile

        fd, path = tempfile.mkstemp(prefix="pmdesk-vdso-", suffix=".so")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self._temp_files.append(path)
        build_id, vaddr0 = self._elf_in_memory(at)
        return Image("[vdso]", at, at + size, at - (vaddr0 or 0), build_id, binary=path)

    def _located_main(self) -> list[Mapping]:
        """The program's mappings when the core does not list them: its binary (--exe, else the command
        PRPSINFO names, looked for like any binary) placed where the auxiliary vector says its program
        headers (AT_PHDR) or entry point (AT_ENTRY) were."""
        recorded = (self.notes.command or "").split(" ", 1)[0]
        found = find_binary(recorded or "a.out", None, self.paths, True, self.dir)
        self.main_looked = found.looked
        if found.path is None:
            return []
        phdr, entry = self.notes.auxv.get(3), self.notes.auxv.get(9)  # AT_PHDR, AT_ENTRY
        maps = self._located(found.path, phdr=phdr, entry=entry)
        if not maps:
            self.warnings.append(f"{found.path} is not the program of this core (its entry point or headers are "
                                 "not where the core's auxiliary vector says): not used")
        return maps

    def _located_libraries(self, names: dict[int, str], placed: set[int]) -> tuple[list[Mapping], list[Image]]:
        """Each library the dynamic linker's list names, found like any binary, at its load address; those
        not found become modules without a binary spanning the core's segments from their load address."""
        out: list[Mapping] = []
        missing: list[Image] = []
        for bias, name in names.items():
            if bias in placed:
                continue
            found = find_binary(name, None, self.paths, False, self.dir)
            maps = self._located(found.path, bias=bias) if found.path is not None else []
            out += maps
            seg = self.memory.segment(bias)
            if not maps and seg is not None:
                end = seg.end
                while (nxt := self.memory.segment(end)) is not None:
                    end = nxt.end
                end = min([end, *(b for b in names if b > bias)])  # not past the next library
                missing.append(Image(name, bias, end, bias, None, looked=list(found.looked)))
        return out, missing

    def _located(self, path: str, bias: int | None = None, phdr: int | None = None,
                 entry: int | None = None) -> list[Mapping]:
        """Mappings for a binary's PT_LOAD segments at a load address (given, or worked out from where its
        program headers or entry point were); memory the core lacks is read from the file."""
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                loads = [s.header for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
                phdr_vaddr = next((s.header.p_vaddr for s in elf.iter_segments()
                                   if s.header.p_type == "PT_PHDR"), None)
                if phdr_vaddr is None and loads:  # headers inside the first segment
                    phdr_vaddr = loads[0].p_vaddr - loads[0].p_offset + elf.header.e_phoff
                e_entry = elf.header.e_entry
        except (OSError, ELFError):
            return []
        if bias is None:
            bias = phdr - phdr_vaddr if phdr is not None and phdr_vaddr is not None else \
                entry - e_entry if entry is not None else 0
            if entry is not None and bias + e_entry != entry:  # another build of the program
                return []
        page = 0x1000
        maps = [Mapping((bias + h.p_vaddr) & ~(page - 1), (bias + h.p_vaddr + h.p_memsz + page - 1) & ~(page - 1),
                        h.p_offset & ~(page - 1), path) for h in loads]
        self._located_paths.add(path)
        self.memory.add_files(maps)
        return maps

    def _link_map(self, main: Image | None) -> dict[int, str]:
        """load address -> name, from the dynamic linker's list (r_debug found through DT_DEBUG)."""
        if main is None:
            return {}
        phdrs = self._program_headers(main.start)
        dyn = next(((main.bias + vaddr, memsz) for p_type, _off, vaddr, _fs, memsz in phdrs if p_type == 2), None)
        w = self.word
        r_debug = None
        if dyn is not None:  # PT_DYNAMIC: (d_tag, d_val) pairs of words
            data = self.memory.read(*dyn) or b""
            entry = struct.Struct("<qQ" if w == 8 else "<iI")
            for at in range(0, len(data) - entry.size + 1, entry.size):
                tag, val = entry.unpack_from(data, at)
                if tag == 21:  # DT_DEBUG
                    r_debug = val
                if tag == 0:
                    break
        return self._walk_link_map(self.word_at(r_debug + w) if r_debug else None)  # r_debug.r_map after r_version

    def _walk_link_map(self, node: int | None) -> dict[int, str]:
        """load address -> name of each struct link_map from `node` on (l_addr, l_name, l_ld, l_next words)."""
        w = self.word
        out: dict[int, str] = {}
        seen: set[int] = set()
        while node and node not in seen and len(seen) < 4096:  # a damaged list may loop
            seen.add(node)
            l_addr, l_name, _l_ld, l_next = (self.word_at(node + w * k) for k in range(4))
            raw = self.memory.read(l_name, 256) if l_name else None
            if raw is not None and l_addr is not None and raw[:1] not in (b"\0", b""):
                out[l_addr] = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
            node = l_next
        return out

    def _link_map_from_interpreter(self) -> dict[int, str]:
        """The dynamic linker's list when the program's binary is not here: the interpreter loaded at the
        auxiliary vector's AT_BASE, found by the names dynamic linkers have (in the search dirs, beside the
        core, at the usual paths), gives its `_r_debug` symbol — the list's head."""
        base = self.notes.auxv.get(7)  # AT_BASE
        if not base:
            return {}
        for name in INTERPRETERS.get(self.machine, ()):
            found = find_binary(name, None, self.paths, False, self.dir)
            r_debug = _dynamic_symbol(found.path, "_r_debug") if found.path else None
            if r_debug is None:
                continue
            head = self.word_at(base + r_debug + self.word)  # r_debug.r_map
            if head:
                return self._walk_link_map(head)
        return {}

    def word_at(self, addr: int) -> int | None:
        """The pointer-sized word of the process at addr."""
        data = self.memory.read(addr, self.word)
        return None if data is None else int.from_bytes(data, "little")

    def _program_headers(self, addr: int) -> list[tuple[int, int, int, int, int]]:
        """(p_type, p_offset, p_vaddr, p_filesz, p_memsz) of the ELF image (32- or 64-bit) whose header is at
        addr; none when the core does not hold it."""
        head = self.memory.read(addr, 64)
        if head is None or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
            return []
        if head[4] == 2:
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
        else:
            phoff, = struct.unpack_from("<I", head, 28)
            phentsize, phnum = struct.unpack_from("<HH", head, 42)
        phdrs = self.memory.read(addr + phoff, phentsize * phnum) if phnum < 256 else None
        if phdrs is None:
            return []
        out = []
        for i in range(phnum):
            if head[4] == 2:
                p_type, _fl, off, vaddr, _pa, filesz, memsz = struct.unpack_from("<IIQQQQQ", phdrs, i * phentsize)
            else:
                p_type, off, vaddr, _pa, filesz, memsz = struct.unpack_from("<IIIIII", phdrs, i * phentsize)
            out.append((p_type, off, vaddr, filesz, memsz))
        return out

    def _main_path(self) -> str | None:
        entry = self.notes.auxv.get(9)  # AT_ENTRY
        if entry is not None:
            m = self.memory.mapping(entry)
            if m is not None:
                return m.path
        return self.notes.files[0].path if self.notes.files else None

    def _elf_in_memory(self, addr: int) -> tuple[str | None, int | None]:
        """(GNU build-id, vaddr of the first PT_LOAD) of the ELF image whose header is at addr."""
        head = self.memory.read(addr, 64)
        if head is None or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
            return None, None
        phdrs = self._program_headers(addr)
        if not phdrs:
            return None, 0
        vaddr0 = next((vaddr - off for p_type, off, vaddr, _fs, _ms in phdrs if p_type == 1), None)
        for p_type, _off, vaddr, size, _ms in phdrs:
            if p_type != 4 or vaddr0 is None:
                continue
            data = self.memory.read(addr - vaddr0 + vaddr, size)
            found = gnu_build_id(data) if data is not None else None
            if found:
                return found, vaddr0
        return None, vaddr0

    def module_at(self, addr: int) -> Image | None:
        import bisect

        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.modules[i].start <= addr < self.modules[i].end:
            return self.modules[i]
        return None

    # ---------------------------------------------------------------- stacks
    def crashed_thread(self) -> int | None:
        sig = self.notes.signal
        hit = next((t for t in self.notes.threads if sig and t.signal == sig), None)
        return (hit or (self.notes.threads[0] if self.notes.threads else None)).tid if self.notes.threads else None

    def frames(self, registers: dict[str, int], past_main: bool = False, resumed: bool = False) -> list[Frame]:
        """A thread's frames, unwound and symbolicated (native/symbolicate.py), ending at main unless past_main;
        `resumed` for a saved context (a goroutine's), whose pc is a return address."""
        return self.symbolizer.frames(registers, past_main, resumed)

    def fault(self) -> dict[str, Any] | None:
        """For a memory fault: whether the crashing instruction read or wrote, and the address — the one the
        kernel recorded (NT_SIGINFO), else worked out from the instruction's operand and the registers
        (`computed`; cores without siginfo, such as qemu-user's)."""
        tid = self.crashed_thread()
        crashed = next((t for t in self.notes.threads if t.tid == tid), None)
        if crashed is None or (self.notes.fault_address is None and self.notes.signal not in (7, 11)):
            return None
        pc = crashed.registers[PC[self.machine]]
        code = self.memory.read(pc, 16)
        access, address = memory_operand(self.machine, code, pc, crashed.registers) if code else (None, None)
        computed = self.notes.fault_address is None
        if not computed:
            address = self.notes.fault_address
        if address is None:
            return None
        return {"access": access, "address": address, "computed": computed,
                "stack_overflow": self._stack_overflow(address, crashed.registers[SP[self.machine]])}

    def _stack_overflow(self, address: int, sp: int) -> bool:
        """A fault just below or at the stack pointer, outside any writable memory the core has: the stack ran
        into its guard page."""
        if not sp - STACK_REACH <= address < sp + 4096:
            return False
        seg = self.memory.segment(address)
        return seg is None or not seg.flags & 2

    def waits(self) -> list[Wait]:
        """Threads asleep on a glibc mutex another thread owns (their cycles are deadlocks)."""
        return [Wait(w.tid, w.mutex, self.data_name(w.mutex), w.owner)
                for w in mutex_waits(self.notes.threads, self.memory, self.machine)]

    def data_name(self, addr: int) -> str | None:
        """The data symbol at addr (a global mutex: lock_a), if a symbol table names it."""
        mod = self.module_at(addr)
        return mod.symbols.object_at(addr - mod.bias) if mod is not None else None


def _elf_of_file(path: str) -> tuple[str | None, int] | None:
    """(GNU build-id, vaddr of the first PT_LOAD minus its offset) of an ELF file; None when it is not one."""
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            first = next((seg.header for seg in elf.iter_segments() if seg.header.p_type == "PT_LOAD"), None)
    except (OSError, ELFError, ValueError):
        return None
    if first is None:
        return None
    return build_id_of_file(path), first.p_vaddr - first.p_offset


def _dynamic_symbol(path: str, name: str) -> int | None:
    """The value of a symbol of an ELF file's dynamic symbol table (its vaddr), or None."""
    try:
        with open(path, "rb") as f:
            dynsym = ELFFile(f).get_section_by_name(".dynsym")
            syms = dynsym.get_symbol_by_name(name) if dynsym is not None else None
            return int(syms[0]["st_value"]) if syms else None
    except (OSError, ELFError, ValueError, ConstructError):
        return None
