"""A minidump read into the crash model: the exception in plain words (as minidump-stackwalk words it:
`SIGSEGV /SEGV_MAPERR`, `EXC_BAD_ACCESS / KERN_INVALID_ADDRESS`, `EXCEPTION_ACCESS_VIOLATION_WRITE`), threads
with names and registers, each stack walked like Breakpad and rust-minidump — the context, CFI of a local ELF
module found by build-id (the unwinder cores use), frame pointers, stack scanning — and modules with their
code and debug ids; the dump's memory serves the Memory dock. Breakpad's Linux streams become sections."""

from __future__ import annotations

import bisect
import os
import struct

from elftools.common.exceptions import ELFError

from pmdesk.base.crash import Cause, Crash, Frame, Module, Problem, Process, Region, Section, Thread
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.arch import DWARF_REGS
from pmdesk.native.breakpad_sym import SymFile, WinFrame, find_sym, load_sym
from pmdesk.native.cfi import postfix_rules
from pmdesk.native.elf_catalogue import elf_with_build_id
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.minidump.contexts import registers
from pmdesk.readers.minidump.names import exception_words
from pmdesk.readers.minidump.parse import MinidumpError, MModule, open_minidump
from pmdesk.readers.minidump.streams import assertion_text
from pmdesk.readers.minidump.streams import sections as extra_sections
from pmdesk.readers.minidump.walk import walk

LOCAL_CFI = {"amd64": "EM_X86_64", "arm64": "EM_AARCH64"}  # the ELF machines whose CFI the walk reads


class MinidumpMemory:
    """The memory ranges a minidump holds (read, u64) and which addresses are code (inside a module)."""

    def __init__(self, data: object, ranges: list[tuple[int, int, int]], modules: list[MModule]) -> None:
        self.data = data
        self.ranges = sorted(ranges)
        self.starts = [r[0] for r in self.ranges]
        self.modules = sorted((m.base, m.base + m.size) for m in modules)
        self.module_starts = [m[0] for m in self.modules]

    def read(self, addr: int, n: int) -> bytes | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0:
            return None
        start, size, rva = self.ranges[i]
        if addr + n > start + size:
            return None
        off = rva + addr - start
        return bytes(self.data[off:off + n])  # type: ignore[index]

    def u64(self, addr: int) -> int | None:
        raw = self.read(addr, 8)
        return struct.unpack("<Q", raw)[0] if raw is not None else None

    def u32(self, addr: int) -> int | None:
        raw = self.read(addr & 0xFFFFFFFF, 4)
        return struct.unpack("<I", raw)[0] if raw is not None else None

    def executable(self, addr: int) -> bool:
        i = bisect.bisect_right(self.module_starts, addr) - 1
        return i >= 0 and addr < self.modules[i][1]

    def close(self) -> None:
        return None


def memory_of(d: object, threads: list) -> list[tuple[int, int, int]]:
    """The memory lists' ranges and each thread's stack (which a writer may put only in the thread list)."""
    ranges = {r[0]: r for r in d.memory_ranges()}  # type: ignore[attr-defined]
    for t in threads:
        rva, size = t.stack
        if size and t.stack_start not in ranges and rva + size <= len(d.data):  # type: ignore[attr-defined]
            ranges[t.stack_start] = (t.stack_start, size, rva)
    return list(ranges.values())


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    progress.update(0.0, "reading the minidump")
    try:
        d = open_minidump(path)
    except MinidumpError as e:
        raise DumpFormatError(path, str(e), e.offset) from None
    except (OSError, ValueError) as e:
        raise DumpFormatError(path, f"cannot be read: {e}", 0) from None
    details = d.system_details()
    system = details[:3] if details else None
    cpu = system[0] if system else "amd64"
    mods = d.modules()
    raw_threads = d.threads()
    memory = MinidumpMemory(d.data, memory_of(d, raw_threads), mods)
    folders = [*paths.search_dirs, *paths.debug_dirs, os.path.dirname(os.path.abspath(path))]
    found = _Modules(mods, folders, cpu)
    walkable = cpu in ("amd64", "arm64", "x86")
    windows = bool(system) and system[1] == "Windows NT"
    exc = d.exception()
    dumper = d.breakpad_threads()[0]
    threads = []
    for n, t in enumerate(raw_threads):
        progress.update(0.1 + 0.8 * n / max(len(raw_threads), 1), "walking stacks")
        context = exc[4] if exc and exc[0] == t.tid and exc[4][1] else t.context
        regs = registers(d.bytes_at(*context) or b"", cpu)
        if walkable and regs:
            walked = walk(regs, memory, found, cpu, windows)
            if cpu == "arm64":  # a caller's frame is its call instruction, 4 bytes before the return address
                walked = [(pc if n == 0 else pc - 4, how) for n, (pc, how) in enumerate(walked)]
            frames = found.frames(walked, cpu != "arm64")
        else:
            frames = found.frames([(pc, "context")] if (pc := _pc(regs)) is not None else [], False)
        name = t.name or ("the thread that wrote this minidump (Breakpad's handler)" if t.tid == dumper else None)
        threads.append(Thread(t.tid, name, crashed=bool(exc) and exc[0] == t.tid, registers=regs, frames=frames))
    cause = Cause()
    if exc:
        tid, code, flags, addr, _ctx, params = exc
        words = exception_words(system[1] if system else "", code, flags, params)
        cause = Cause(signal=code if system and system[1] in ("Linux", "Android") else None,
                      signal_name=words.signal, code=flags, code_name=words.code, exception=words.exception,
                      fault_address=words.address if words.address is not None else addr)
    cause.message = assertion_text(d)
    modules = []
    for i, m in enumerate(mods):
        image, sym = found.images.get(i), found.syms.get(i)
        modules.append(Module(os.path.basename(m.name.replace("\\", "/")), m.base, m.base + m.size, m.base, m.name,
                              m.code_id, m.debug_id, cpu, binary=image.binary if image else None,
                              debug_file=image.debug_file if image else sym.path if sym else None,
                              symbols=bool(image and image.symbols_found or sym), looked=found.looked.get(i, [])))
    regions = [Region(s, s + n, "", n) for s, n, _r in memory.ranges]
    process = Process(pid=d.pid(), os=system[1] if system else None, arch=cpu,
                      os_version=system[2] if system else None, cpu_info=details[3] if details else None,
                      cpu_count=details[4] if details else None)
    texts = d.texts()
    sections = [Section(title, text) for title, text in (*texts, *extra_sections(d, [m.name for m in mods]))]
    process.command = next((text for title, text in texts if title.endswith("cmdline")), None)
    problems = [Problem("minidump.damaged", "warning", p) for p in d.problems]
    if not walkable and raw_threads:
        problems.append(Problem("minidump.no_walk", "info", f"stacks of {cpu} minidumps are not walked yet: each "
                                "thread shows its context frame"))  # 32-bit arm, mips, ppc …
    crash = Crash(process, cause, threads, modules, regions, sections, problems=problems)
    crashed = crash.crashed_thread
    if cause.exception or cause.signal_name:
        top = crashed.frames[0] if crashed and crashed.frames else None
        what = cause.exception or cause.signal_name or ""
        if cause.code_name and cause.exception != cause.code_name:
            what += f" / {cause.code_name}"
        if cause.fault_address is not None:
            what += f" at 0x{cause.fault_address:x}"
        if top is not None:
            what += f" in {top.function or f'{top.module} + 0x{top.module_offset or 0:x}'}"
        cause.headline = what
    found.close()
    return crash


def _pc(regs: dict[str, int]) -> int | None:
    return regs.get("rip", regs.get("pc", regs.get("eip")))


class _Modules:
    """The dump's modules by address, each with what describes it — a local ELF file found by build-id, a
    Breakpad .sym file found by debug id — opened on first need: the walk's UnwindInfo, and the namer of its
    frames."""

    def __init__(self, mods: list[MModule], folders: list[str], cpu: str) -> None:
        self.mods = mods
        self.folders = folders
        self.cpu = cpu
        self.order = sorted(range(len(mods)), key=lambda i: mods[i].base)
        self.starts = [mods[i].base for i in self.order]
        self.images: dict[int, Image | None] = {}
        self.syms: dict[int, SymFile | None] = {}
        self.looked: dict[int, list[str]] = {}

    def module_at(self, addr: int) -> int | None:
        j = bisect.bisect_right(self.starts, addr) - 1
        if j < 0:
            return None
        i = self.order[j]
        return i if addr < self.mods[i].base + self.mods[i].size else None

    def sym_of(self, i: int) -> SymFile | None:
        """The module's Breakpad .sym file, found by debug id."""
        if i not in self.syms:
            m = self.mods[i]
            got, where = find_sym(m.debug_file or os.path.basename(m.name), m.debug_id, self.folders) \
                if m.debug_id else (None, [])
            self.looked[i] = self.looked.get(i, []) + where
            try:
                self.syms[i] = load_sym(got) if got else None
            except OSError:
                self.syms[i] = None
        return self.syms[i]

    def image_of(self, i: int) -> Image | None:
        """The module's own ELF file, found by build-id under the folders."""
        if i not in self.images:
            m = self.mods[i]
            got, where = elf_with_build_id(m.code_id, self.folders) if m.code_id and len(m.code_id) > 16 \
                else (None, [])
            self.looked[i] = self.looked.get(i, []) + where
            self.images[i] = Image(m.name, m.base, m.base + m.size, m.base, m.code_id, os.path.basename(m.name),
                                   binary=got) if got else None
        return self.images[i]

    def in_module(self, addr: int) -> bool:
        return self.module_at(addr) is not None

    def seems_code(self, addr: int) -> bool:
        """In a module, and named by its .sym file when it has one (Breakpad's InstructionAddressSeemsValid)."""
        i = self.module_at(addr)
        if i is None:
            return False
        sym = self.sym_of(i)
        return sym is None or sym.names(addr - self.mods[i].base)

    def cfi(self, instruction: int) -> dict[str, str] | None:
        """The STACK CFI rules at an instruction, from the module's .sym file, else its local ELF's CFI."""
        i = self.module_at(instruction)
        if i is None:
            return None
        offset = instruction - self.mods[i].base
        sym = self.sym_of(i)
        if sym is not None:
            return sym.cfi_rules(offset)
        image = self.image_of(i)
        machine = LOCAL_CFI.get(self.cpu)
        if image is None or machine is None:
            return None
        try:
            row = image.cfi.row(offset)
        except (ELFError, ValueError, KeyError, IndexError, struct.error):
            return None
        return postfix_rules(row, DWARF_REGS[machine], "$" if self.cpu == "amd64" else "") if row else None

    def windows_frame(self, instruction: int) -> WinFrame | None:
        i = self.module_at(instruction)
        sym = self.sym_of(i) if i is not None else None
        return sym.windows_frame(instruction - self.mods[i].base) if sym is not None and i is not None else None

    def frames(self, walked: list[tuple[int, str]], return_addresses: bool) -> list[Frame]:
        """Frames named from a local binary's DWARF, else the module's .sym file, else the binary's symbols; a
        caller is looked up
        at its return address less one (`return_addresses`: amd64, x86; arm64 frames already point at the
        call)."""
        out = []
        for n, (pc, trust) in enumerate(walked):
            back = 1 if n > 0 and return_addresses else 0  # a return address belongs to its call instruction
            i = self.module_at(pc - back)
            if i is None:
                out.append(Frame(pc, trust=trust))
                continue
            m = self.mods[i]
            image = self.image_of(i)
            name = os.path.basename(m.name.replace("\\", "/"))
            at = pc - m.base - back
            locs = image.locations(at) if image is not None else []
            if not any(loc.file for loc in locs):  # no debug information here: the .sym's lines and inlines
                sym = self.sym_of(i)
                named = sym.locations(at) if sym is not None else []
                locs = named if named and named[-1].function else locs
            if locs and locs[-1].function:
                out += [Frame(pc, name, pc - m.base, loc.function, loc.file, loc.line, loc.inlined, trust)
                        for loc in locs]
            else:
                out.append(Frame(pc, name, pc - m.base, trust=trust))
        return out

    def close(self) -> None:
        for image in self.images.values():
            if image is not None:
                image.close()
