"""An ELF core opened for reading: its notes (threads, signal), memory, modules (NT_FILE mappings + the
build-ids found in the core's own memory, with their binaries and debug files located), and each thread's
stack — unwound by DWARF CFI (through signal trampolines), else by frame pointer, else by scanning the stack
for return addresses (each frame says which) — and symbolicated with DWARF (inlined frames included) or ELF
symbols."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.elffile import ELFFile

from pmdesk.native.calls import direct_call_target
from pmdesk.native.cfi import ModuleCFI
from pmdesk.native.disasm import memory_operand
from pmdesk.native.elf_sections import gnu_build_id, sections
from pmdesk.native.symbol_files import SearchPaths, find_binary, find_debug_file
from pmdesk.native.symbols import (
    DwarfSymbols,
    ElfSymbols,
    call_sites,
    demangle,
    is_tail_call,
    return_pc,
    target,
)
from pmdesk.readers.elfcore.compressed import CompressedCoreError, inflated
from pmdesk.readers.elfcore.locks import deadlocks, mutex_waits
from pmdesk.readers.elfcore.memory import Memory, Segment
from pmdesk.readers.elfcore.notes import PC, SIGNALS, SP, CoreNotes, Mapping, read_notes

MAX_FRAMES = 100_000  # a stack overflow's recursion: gdb prints every frame, so does pmdesk
STACK_REACH = 64 << 10  # how far below the stack pointer a frame's first store may land
MAX_GUESSED = 256  # frames found by frame pointer or scanning: beyond that, a walk through garbage
SCAN_WORDS = 512
# DWARF register numbers -> register names
DWARF_REGS = {
    "EM_X86_64": {0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 6: "rbp", 7: "rsp",
                  **{i: f"r{i}" for i in range(8, 16)}, 16: "rip"},
    "EM_AARCH64": {**{i: f"x{i}" for i in range(31)}, 31: "sp", 32: "pc"},
}
FP = {"EM_X86_64": "rbp", "EM_AARCH64": "x29"}


class CoreError(ValueError):
    pass


@dataclass
class Frame:
    pc: int
    module: str | None
    function: str | None
    file: str | None
    line: int | None
    inlined: bool
    how: str  # "cfi" | "fp" | "scan" (how this frame's pc was found; the first frame's is from registers)
    offset: int | None = None  # pc - module load address (module+offset when nothing names it)

    def as_json(self) -> dict[str, Any]:
        return {"pc": self.pc, "module": self.module, "function": self.function, "file": self.file,
                "line": self.line, "inlined": self.inlined, "how": self.how}


@dataclass
class Module:
    path: str
    start: int
    end: int
    bias: int  # load address of the file's vaddr 0
    build_id: str | None
    name: str = ""  # as the dynamic linker names it (gdb's name); the mapped path when it has none
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
            f = open(path, "rb")  # noqa: SIM115 - kept open while the core is
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
                self._dwarf = DwarfSymbols(src) if src is not None else False
            except (ELFError, ValueError, KeyError):
                self._dwarf = False
        return self._dwarf or None

    @property
    def cfi(self) -> ModuleCFI:
        if self._cfi is None:
            self._cfi = ModuleCFI(self.elf, self.debug)
        return self._cfi

    def close(self) -> None:
        for f in self._files:
            f.close()


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
        self.memory = Memory(self._read_core, segs, self.notes.files, self._mapped_file)
        self.modules = self._modules()

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

    def close(self) -> None:
        for m in self.modules:
            m.close()
        for f in self._located_files.values():
            f.close()
        self.file.close()

    # ---------------------------------------------------------------- modules
    def _modules(self) -> list[Module]:
        main = self._main_path()
        if self.notes.files:
            out = self._modules_of(self.notes.files, main)
            names = self._link_map(next((m for m in out if m.path == main), None))
        else:  # no NT_FILE (qemu-user's cores, some embedded kernels): the binaries say where they lie
            located = self._located_main()
            out = self._modules_of(located, located[0].path if located else None)
            names = self._link_map(next(iter(out), None))
            libraries, missing = self._located_libraries(names, {m.bias for m in out})
            out += self._modules_of(libraries, None) + missing
        out.sort(key=lambda m: m.start)
        self.starts = [m.start for m in out]
        for m in out:  # the names the dynamic linker used (/lib/…/libc.so.6, as gdb shows them)
            m.name = names.get(m.bias) or m.path
        return out

    def _modules_of(self, mappings: list[Mapping], main: str | None) -> list[Module]:
        by_path: dict[str, list[Mapping]] = {}
        for m in mappings:
            by_path.setdefault(m.path, []).append(m)
        out = []
        for path, maps in by_path.items():
            maps.sort(key=lambda m: m.start)
            first = next((m for m in maps if m.offset == 0), maps[0])
            build_id, vaddr0 = self._elf_in_memory(first.start)
            if build_id is None and vaddr0 is None:
                continue  # not an ELF image (a data file, /dev/zero…)
            mod = Module(path, maps[0].start, maps[-1].end, first.start - (vaddr0 or 0), build_id)
            found = find_binary(path, build_id, self.paths, path == main, self.dir)
            mod.binary, mod.looked, mod.warning = found.path, list(found.looked), found.warning
            dbg = find_debug_file(mod.binary, build_id, self.paths)
            mod.debug_file = dbg.path
            mod.looked += dbg.looked
            out.append(mod)
        return out

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

    def _located_libraries(self, names: dict[int, str], placed: set[int]) -> tuple[list[Mapping], list[Module]]:
        """Each library the dynamic linker's list names, found like any binary, at its load address; those
        not found become modules without a binary spanning the core's segments from their load address."""
        out: list[Mapping] = []
        missing: list[Module] = []
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
                missing.append(Module(name, bias, end, bias, None, looked=list(found.looked)))
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

    def _link_map(self, main: Module | None) -> dict[int, str]:
        """load address -> name, from the dynamic linker's list (r_debug found through DT_DEBUG)."""
        if main is None:
            return {}
        head = self.memory.read(main.start, 64)
        if head is None:
            return {}
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        phdrs = self.memory.read(main.start + phoff, phentsize * phnum) if phnum < 256 else None
        dyn = None
        for i in range(phnum if phdrs else 0):
            p_type, _f, _off, p_vaddr, _pa, _fs, p_memsz = struct.unpack_from("<IIQQQQQ", phdrs, i * phentsize)
            if p_type == 2:  # PT_DYNAMIC
                dyn = (main.bias + p_vaddr, p_memsz)
        r_debug = None
        if dyn is not None:
            data = self.memory.read(*dyn) or b""
            for at in range(0, len(data) - 15, 16):
                tag, val = struct.unpack_from("<qQ", data, at)
                if tag == 21:  # DT_DEBUG
                    r_debug = val
                if tag == 0:
                    break
        out: dict[int, str] = {}
        node = self.memory.u64(r_debug + 8) if r_debug else None
        seen: set[int] = set()
        while node and node not in seen and len(seen) < 4096:  # a damaged list may loop
            seen.add(node)
            l_addr, l_name, _l_ld, l_next = (self.memory.u64(node + 8 * k) for k in range(4))
            raw = self.memory.read(l_name, 256) if l_name else None
            if raw is not None and l_addr is not None and raw[:1] not in (b"\0", b""):
                out[l_addr] = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
            node = l_next
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
        if head is None or head[:4] != b"\x7fELF" or head[4] != 2:
            return None, None
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        phdrs = self.memory.read(addr + phoff, phentsize * phnum) if phnum < 256 else None
        if phdrs is None:
            return None, 0
        vaddr0 = None
        notes = []
        for i in range(phnum):
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", phdrs, i * phentsize)
            if p_type == 1 and vaddr0 is None:
                vaddr0 = p_vaddr - p_offset
            elif p_type == 4:
                notes.append((p_vaddr, p_filesz))
        for vaddr, size in notes:
            data = self.memory.read(addr - (vaddr0 or 0) + vaddr, size) if vaddr0 is not None else None
            found = gnu_build_id(data) if data is not None else None
            if found:
                return found, vaddr0
        return None, vaddr0

    def module_at(self, addr: int) -> Module | None:
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

    def unwind(self, registers: dict[str, int]) -> list[tuple[int, str, bool, bool]]:
        """(pc, how, caller, signal) for each physical frame of a thread, innermost first: `caller` when pc
        is a return address (looked up at pc - 1), `signal` for a signal trampoline's frame (the frame it
        interrupted has an exact pc)."""
        regs = dict(registers)
        pc_name, sp_name = PC[self.machine], SP[self.machine]
        names = DWARF_REGS[self.machine]
        frames: list[tuple[int, str, bool, bool]] = []
        how, caller = "cfi", False  # the first frame: the registers themselves, exact
        last_sp = -1
        guessed = 0
        while len(frames) < MAX_FRAMES and guessed < MAX_GUESSED:
            pc = regs[pc_name]
            mod = self.module_at(pc)
            got = self._cfi_step(mod, pc - 1 if caller else pc, regs, names) if mod is not None else None
            signal = isinstance(got, tuple) and got[1]
            frames.append((pc, how, caller, signal))
            step = got[0] if isinstance(got, tuple) else got
            how = "cfi"
            if step is None:
                step = self._fp_step(regs)
                how = "fp"
            if step is None:
                step = self._scan_step(regs)
                how = "scan"
            if step is None or step == "end":
                break
            guessed += how != "cfi"
            new_pc, new_sp = step.get(pc_name), step.get(sp_name)
            if not new_pc or new_sp is None or new_sp <= last_sp and how != "cfi" or new_pc < 0x1000:
                break
            if not signal and (new_sp < regs[sp_name] or (new_sp == regs[sp_name] and new_pc == pc)):
                break
            last_sp = new_sp
            regs = step
            caller = not signal
        return frames

    def _cfi_step(self, mod: Module, lookup_pc: int, regs: dict[str, int], names: dict[int, str]) -> Any:
        got = mod.cfi.row(lookup_pc - mod.bias)
        if got is None:
            return None
        row, ra_reg, signal = got
        cfa_rule = row["cfa"]
        if cfa_rule.expr is not None:  # a signal frame's CFA: read from the saved context
            cfa = self._expression(mod.cfi.ops(cfa_rule.expr), None, regs, names)
            if cfa is None:
                return None
        elif cfa_rule.reg in names and names[cfa_rule.reg] in regs:
            cfa = regs[names[cfa_rule.reg]] + cfa_rule.offset
        else:
            return None
        new = dict(regs)
        for reg, rule in row.items():
            if not isinstance(reg, int) or reg not in names:
                continue
            kind = rule.type
            if kind == "OFFSET":
                v = self.memory.u64(cfa + rule.arg)
                if v is None:
                    return None
                new[names[reg]] = v
            elif kind == "VAL_OFFSET":
                new[names[reg]] = cfa + rule.arg
            elif kind == "REGISTER" and rule.arg in names and names[rule.arg] in regs:
                new[names[reg]] = regs[names[rule.arg]]
            elif kind == "UNDEFINED":
                if reg == ra_reg:
                    return "end"  # the outermost frame (_start, clone)
                new.pop(names[reg], None)
            elif kind in ("EXPRESSION", "VAL_EXPRESSION"):
                v = self._expression(mod.cfi.ops(rule.arg), cfa, regs, names)
                if v is None:
                    return None
                if kind == "EXPRESSION":
                    v = self.memory.u64(v)
                    if v is None:
                        return None
                new[names[reg]] = v
        if ra_reg not in row:
            if self.machine == "EM_X86_64":  # x86-64 CIEs always save the return address; missing = end
                return "end"
            new[PC[self.machine]] = regs.get(names.get(ra_reg, ""), 0)
        else:
            new[PC[self.machine]] = new.get(names[ra_reg], 0) if names.get(ra_reg) != PC[self.machine] \
                else new[PC[self.machine]]
        if not (signal and SP[self.machine] in {names.get(r) for r in row if isinstance(r, int)}):
            new[SP[self.machine]] = cfa
        return new, signal

    def _expression(self, expr: list[Any], cfa: int | None, regs: dict[str, int],
                    names: dict[int, str]) -> int | None:
        """The DWARF expressions CFI uses (a signal frame's saved registers: breg + offset, deref). A register
        rule's expression starts with the CFA pushed; the CFA's own starts empty."""
        stack = [] if cfa is None else [cfa]
        for op in expr:
            name, args = op.op_name, op.args
            if name.startswith("DW_OP_breg"):
                r = int(name[len("DW_OP_breg"):])
                if names.get(r) not in regs:
                    return None
                stack.append(regs[names[r]] + args[0])
            elif name == "DW_OP_deref":
                v = self.memory.u64(stack.pop())
                if v is None:
                    return None
                stack.append(v)
            elif name == "DW_OP_plus_uconst":
                stack.append(stack.pop() + args[0])
            elif name.startswith("DW_OP_const"):
                stack.append(args[0])
            elif name == "DW_OP_plus":
                b, a = stack.pop(), stack.pop()
                stack.append(a + b)
            elif name == "DW_OP_minus":
                b, a = stack.pop(), stack.pop()
                stack.append(a - b)
            else:
                return None
        return stack[-1] if stack else None

    def _fp_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        fp = regs.get(FP[self.machine])
        if not fp or fp % 8:
            return None
        saved_fp, ra = self.memory.u64(fp), self.memory.u64(fp + 8)
        if ra is None or saved_fp is None or not self.memory.executable(ra) and self.module_at(ra) is None:
            return None
        new = dict(regs)
        new[FP[self.machine]] = saved_fp
        new[PC[self.machine]] = ra
        new[SP[self.machine]] = fp + 16
        return new

    def _scan_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        sp = regs[SP[self.machine]]
        for i in range(1, SCAN_WORDS):
            addr = sp + 8 * i
            v = self.memory.u64(addr)
            if v is None:
                return None
            if self.module_at(v) is not None and self._after_call(v):
                new = dict(regs)
                new[PC[self.machine]] = v
                new[SP[self.machine]] = addr + 8
                return new
        return None

    def _after_call(self, addr: int) -> bool:
        if self.machine != "EM_X86_64":
            return self.memory.executable(addr)
        before = self.memory.read(addr - 5, 5)
        if before is not None and before[0] == 0xE8:
            return True
        before = self.memory.read(addr - 2, 2)
        return before is not None and before[0] == 0xFF and (before[1] >> 3) & 7 == 2

    def frames(self, registers: dict[str, int], past_main: bool = False) -> list[Frame]:
        """A thread's frames, symbolicated: inlined functions become frames of their own, and so do
        functions that tail-called the next one (from DWARF call-site information, as gdb shows them).
        Like gdb, the backtrace ends at `main` unless past_main."""
        out: list[Frame] = []
        main = self._main_path()
        # the callee: its lookup address (a return address less one), module, outermost function
        prev: tuple[int, Module | None, str | None] | None = None
        for pc, how, caller, signal in self.unwind(registers):
            mod = self.module_at(pc)
            if signal:  # gdb's name for a signal trampoline's frame
                out.append(Frame(pc, mod.name if mod else None, "<signal handler called>", None, None, False, how,
                                 pc - mod.bias if mod else None))
                prev = None
                continue
            rel = pc - mod.bias - (1 if caller else 0) if mod is not None else 0
            if prev is not None and mod is not None and prev[1] is not None and mod.dwarf is not None \
                    and prev[1].dwarf is not None and not self._called_directly(pc, prev[0], prev[1]):
                out += self._tail_call_frames(mod, pc - mod.bias, prev[1], prev[2], how)
            if mod is None:
                out.append(Frame(pc, None, None, None, None, False, how))
                prev = (pc - (1 if caller else 0), None, None)
                continue
            locs = mod.dwarf.locations(rel) if mod.dwarf is not None else None
            if locs:
                out += [Frame(pc, mod.name, loc.function, loc.file, loc.line, loc.inlined, how, pc - mod.bias)
                        for loc in locs]
                outermost = locs[-1].function
                if locs[-1].main and not past_main:  # Rust's crate::main and the like
                    break
            else:
                name = mod.symbols.lookup(rel)
                outermost = demangle(name) if name else None
                file, line = mod.dwarf.line(rel) if mod.dwarf is not None else (None, None)
                out.append(Frame(pc, mod.name, outermost, file, line, False, how, pc - mod.bias))
            prev = (mod.bias + rel, mod, outermost)
            if not past_main and outermost == "main" and mod.path == main:
                break
        return out

    def _called_directly(self, return_pc: int, callee_pc: int, callee_mod: Module) -> bool:
        """Whether the call before return_pc went straight (or through a PLT stub) to the start of the code
        holding callee_pc (a lookup address) — then no function tail-called in between, and DWARF call
        sites need not be read."""
        entry = callee_mod.dwarf.entry(callee_pc - callee_mod.bias) if callee_mod.dwarf is not None else None
        if entry is None:
            return False
        target = direct_call_target(self.machine, self.memory, return_pc)
        return target is not None and target == callee_mod.bias + entry

    def _tail_call_frames(self, mod: Module, caller_rel: int, callee_mod: Module, callee: str | None,
                          how: str) -> list[Frame]:
        """Frames for functions that reached `callee` by tail calls from the call the caller made (the call
        site returning to caller_rel names its target; if that is not the callee, a unique chain of tail
        calls from it, in the callee's module, leads there)."""
        fn = mod.dwarf.function(caller_rel - 1) if mod.dwarf is not None and callee else None
        if fn is None:
            return []
        site = next((s for s in call_sites(fn) if return_pc(s) == caller_rel), None)
        first = target(site) if site is not None else None
        if first is None or mod.dwarf.name(first) == callee:
            return []
        if callee_mod is not mod:  # a call into a library: the target is found there by its symbol name
            first = self._concrete(callee_mod, first, by_name_only=True)
            if first is None or callee_mod.dwarf.name(first) == callee:
                return []
        chain = self._tail_chain(callee_mod, first, callee, 4)
        dwarf = callee_mod.dwarf
        mod = callee_mod
        frames = []
        for rel in reversed(chain or []):
            locs = dwarf.locations(rel - 1) or []
            loc = locs[0] if locs else None
            frames.append(Frame(mod.bias + rel, mod.name, loc.function if loc else None, loc.file if loc else None,
                                loc.line if loc else None, False, how, rel))
        return frames

    def _tail_chain(self, mod: Module, start: Any, callee: str, depth: int) -> list[int] | None:
        """Return pcs of the tail-call sites from `start` to `callee` (one per function on the way), if the
        way is unique."""
        if depth == 0:
            return None
        fn = self._concrete(mod, start)
        if fn is None:
            return None
        found = []
        for site in call_sites(fn):
            if not is_tail_call(site):
                continue
            t = target(site)
            pc = return_pc(site)
            if t is None or pc is None:
                continue
            if mod.dwarf.name(t) == callee:
                found.append([pc])
            else:
                rest = self._tail_chain(mod, t, callee, depth - 1)
                if rest:
                    found.append([pc, *rest])
        return found[0] if len(found) == 1 else None

    def _concrete(self, mod: Module, die: Any, by_name_only: bool = False) -> Any:
        """The subprogram DIE with code for a function a call site names (often only its declaration)."""
        a = die.attributes
        if "DW_AT_low_pc" in a and not by_name_only:
            return mod.dwarf.function(a["DW_AT_low_pc"].value)
        names = {str(v.value.decode() if isinstance(v.value, bytes) else v.value)
                 for k, v in a.items() if k in ("DW_AT_linkage_name", "DW_AT_name")}
        addr = mod.symbols.address_of(names)
        return mod.dwarf.function(addr) if addr is not None else None

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

    def deadlocks(self) -> list[dict[str, Any]]:
        """Cycles of threads waiting for each other's mutexes: [{tid, mutex, mutex_name, owner}] each."""
        cycles = deadlocks(mutex_waits(self.notes.threads, self.memory, self.machine))
        return [[{"tid": w.tid, "mutex": w.mutex, "mutex_name": self.data_name(w.mutex), "owner": w.owner}
                 for w in cycle] for cycle in cycles]

    def data_name(self, addr: int) -> str | None:
        """The data symbol at addr (a global mutex: lock_a), if a symbol table names it."""
        mod = self.module_at(addr)
        return mod.symbols.object_at(addr - mod.bias) if mod is not None else None

    def signal_json(self) -> dict[str, Any]:
        n = self.notes.signal
        return {"number": n, "name": SIGNALS.get(n) if n else None, "code": self.notes.signal_code,
                "fault_address": self.notes.fault_address}
