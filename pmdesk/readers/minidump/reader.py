"""A minidump read into the crash model: the exception in plain words (as minidump-stackwalk words it:
`SIGSEGV /SEGV_MAPERR`, `EXC_BAD_ACCESS / KERN_INVALID_ADDRESS`, `EXCEPTION_ACCESS_VIOLATION_WRITE`), threads
with names and registers, each stack walked like Breakpad and rust-minidump — the context, CFI of a local ELF
module found by build-id (the unwinder cores use), frame pointers, stack scanning — and modules with their
code and debug ids; the dump's memory serves the Memory dock. Breakpad's Linux streams become sections."""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Callable

from elftools.common.exceptions import ELFError

from pmdesk.base.crash import Cause, Crash, Frame, Module, Problem, Process, Region, Section, Thread
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.arch import DWARF_REGS
from pmdesk.native.breakpad_sym import SymFile, WinFrame, find_sym, load_sym
from pmdesk.native.cfi import postfix_rules
from pmdesk.native.elf_catalogue import elf_with_build_id
from pmdesk.native.elf_loads import loaded_segments
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, find_binary, find_debug_file
from pmdesk.readers.minidump.contexts import registers
from pmdesk.readers.minidump.names import DUMP_REQUESTED, exception_words, processor_family
from pmdesk.readers.minidump.parse import MinidumpError, MModule, open_minidump
from pmdesk.readers.minidump.streams import assertion_text, crashpad_annotations
from pmdesk.readers.minidump.streams import sections as extra_sections
from pmdesk.readers.minidump.walk import CALLER_BACK, walk

LOCAL_CFI = {"amd64": "EM_X86_64", "arm64": "EM_AARCH64"}  # the ELF machines whose CFI the walk reads


class MinidumpMemory:
    """The memory ranges a minidump holds (read, u64) and which addresses are code (inside a module); with
    `binary_of` (a module's index in `modules` -> its binary found here, or None), code the dump lacks is read
    from that binary, looked for only when an address in the module is first read."""

    def __init__(self, data: object, ranges: list[tuple[int, int, int]], modules: list[MModule],
                 binary_of: Callable[[int], str | None] | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        self.data = data
        self.ranges = sorted(ranges)
        self.starts = [r[0] for r in self.ranges]
        self.modules = sorted((m.base, m.base + m.size, i) for i, m in enumerate(modules))
        self.module_starts = [m[0] for m in self.modules]
        self.binary_of = binary_of
        self.segments: dict[int, list[tuple[int, int, int, str]]] = {}  # module index -> its loaded segments
        self.on_close = on_close

    def read(self, addr: int, n: int) -> bytes | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            start, size, rva = self.ranges[i]
            if addr + n <= start + size:
                off = rva + addr - start
                return bytes(self.data[off:off + n])  # type: ignore[index]
        return self._from_binary(addr, n)

    def _from_binary(self, addr: int, n: int) -> bytes | None:
        i = bisect.bisect_right(self.module_starts, addr) - 1
        if self.binary_of is None or i < 0 or addr >= self.modules[i][1]:
            return None
        base, _end, index = self.modules[i]
        if index not in self.segments:
            binary = self.binary_of(index)
            self.segments[index] = loaded_segments(binary, base) if binary else []
        seg = next((s for s in self.segments[index] if s[0] <= addr and addr + n <= s[1]), None)
        if seg is None:
            return None
        start, _end, offset, path = seg
        try:
            with open(path, "rb") as f:
                f.seek(offset + addr - start)
                got = f.read(n)
        except (OSError, ValueError, OverflowError):
            return None
        return got if len(got) == n else None

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
        if self.on_close is not None:
            self.on_close()


def open_memory(path: str, paths: SearchPaths) -> MinidumpMemory | None:
    """The dump's memory for the Memory and Disassembly docks, module code read from local binaries."""
    try:
        d = open_minidump(path)
    except (MinidumpError, OSError, ValueError):
        return None
    mods = d.modules()
    found = _Modules(mods, paths, _folders(path, paths), "")

    def binary_of(i: int) -> str | None:
        image = found.image_of(i)
        return image.binary if image is not None else None

    return MinidumpMemory(d.data, memory_of(d, d.threads()), mods, binary_of, found.close)


def _folders(path: str, paths: SearchPaths) -> list[str]:
    """Where modules' binaries and .sym files are looked for: the symbol paths, then the dump's folder."""
    return [*paths.search_dirs, *paths.debug_dirs, os.path.dirname(os.path.abspath(path))]


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
    found = _Modules(mods, paths, _folders(path, paths), cpu)
    walkable = cpu in ("amd64", "arm64", "x86", "arm")
    ios = bool(system) and system[1] == "iOS"
    windows = bool(system) and system[1] == "Windows NT"
    exc = d.exception()
    dumper = d.breakpad_threads()[0]
    threads = []
    for n, t in enumerate(raw_threads):
        progress.update(0.1 + 0.8 * n / max(len(raw_threads), 1), "walking stacks")
        context = exc[4] if exc and exc[0] == t.tid and exc[4][1] else t.context
        regs = registers(d.bytes_at(*context) or b"", cpu)
        if walkable and regs:
            walked = walk(regs, memory, found, cpu, windows, ios)
            if cpu == "arm64":  # a caller's frame is its call instruction, 4 bytes before the return address
                walked = [(pc if n == 0 else pc - 4, how) for n, (pc, how) in enumerate(walked)]
            frames = found.frames(walked, 0 if cpu == "arm64" else CALLER_BACK[cpu])
        else:
            frames = found.frames([(pc, "context")] if (pc := _pc(regs)) is not None else [], 0)
        name = t.name or ("the thread that wrote this minidump (Breakpad's handler)" if t.tid == dumper else None)
        threads.append(Thread(t.tid, name, crashed=bool(exc) and exc[0] == t.tid, registers=regs, frames=frames))
    cause = Cause()
    if exc:
        tid, code, flags, addr, _ctx, params = exc
        words = exception_words(system[1] if system else "", code, flags, params,
                                processor_family(details[5]) if details else "")
        si_code = flags - (1 << 32) if words.signal and flags & 0x80000000 else flags  # Linux si_code is signed
        cause = Cause(signal=code if words.signal else None,
                      signal_name=words.signal, code=si_code, code_name=words.code, exception=words.exception,
                      fault_address=(words.address if words.address is not None else addr) & (
                          0xFFFFFFFF if cpu in ("x86", "arm") else (1 << 64) - 1))  # a 32-bit process's address
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
                                "thread shows its context frame"))  # mips, ppc …
    requested = not exc or exc[1] == DUMP_REQUESTED and cause.exception == "DUMP_REQUESTED"
    crash = Crash(process, cause, threads, modules, regions, sections, problems=problems, snapshot=requested)
    if not exc and threads:  # written by a tool or on request, not by a crash: the first thread stands first
        threads[0].current = True
        cause.headline = f"no crash: a minidump without an exception record ({len(threads)} " \
                         f"thread{'s' if len(threads) != 1 else ''})"
    crashed = crash.crashed_thread
    if cause.exception == "Uncaught NSException":  # Crashpad keeps the exception's name and reason as annotations
        notes = {k.rsplit("!", 1)[-1]: v for k, v in crashpad_annotations(d, [m.name for m in mods])}
        if "exceptionName" in notes:
            cause.message = f"{notes['exceptionName']}: {notes.get('exceptionReason', '')}".rstrip(": ")
    if cause.exception or cause.signal_name:
        top = crashed.frames[0] if crashed and crashed.frames else None
        what = cause.exception or cause.signal_name or ""
        if cause.code_name:
            what += f" / {cause.code_name}"
        sent = cause.signal is not None and (cause.code or 0) <= 0  # kill/tkill: the "address" is the sender's pid
        if cause.fault_address is not None and not crash.snapshot and not sent:
            what += f" at 0x{cause.fault_address:x}"
        if top is not None:
            what += f" in {top.function or f'{top.module} + 0x{top.module_offset or 0:x}'}"
        cause.headline = what + (f" — {cause.message}" if cause.message else "")
    found.close()
    return crash


def _pc(regs: dict[str, int]) -> int | None:
    return regs.get("rip", regs.get("pc", regs.get("eip")))


class _Modules:
    """The dump's modules by address, each with what describes it — a local ELF file found by build-id, a
    Breakpad .sym file found by debug id — opened on first need: the walk's UnwindInfo, and the namer of its
    frames."""

    def __init__(self, mods: list[MModule], paths: SearchPaths, folders: list[str], cpu: str) -> None:
        self.mods = mods
        self.paths = paths
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
        """The module's own ELF file, found by build-id under the folders, else (with `paths.system`) at the
        path the dump records or through debuginfod when its build-id matches; and its debug file."""
        if i not in self.images:
            m = self.mods[i]
            elf_id = m.code_id if m.code_id and len(m.code_id) > 16 else None
            got, where = elf_with_build_id(elf_id, self.folders) if elf_id else (None, [])
            debug = None
            if elf_id and self.paths.system:
                if got is None:
                    by_name = find_binary(m.name, elf_id, self.paths, False)
                    got, where = by_name.path, where + by_name.looked
                if got is not None:
                    debug = find_debug_file(got, elf_id, self.paths)
                    where += debug.looked
            self.looked[i] = self.looked.get(i, []) + where
            self.images[i] = Image(m.name, m.base, m.base + m.size, m.base, m.code_id, os.path.basename(m.name),
                                   binary=got, debug_file=debug.path if debug else None) if got else None
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

    def frames(self, walked: list[tuple[int, str]], back: int) -> list[Frame]:
        """Frames named from a local binary's DWARF, else the module's .sym file, else the binary's symbols; a
        caller is looked up at its return address less `back` (1 on amd64 and x86, 2 on arm; arm64 frames
        already point at the call)."""
        out = []
        for n, (pc, trust) in enumerate(walked):
            less = back if n > 0 else 0  # a return address belongs to its call instruction
            i = self.module_at(pc - less)
            if i is None:
                out.append(Frame(pc, trust=trust))
                continue
            m = self.mods[i]
            image = self.image_of(i)
            name = os.path.basename(m.name.replace("\\", "/"))
            at = pc - m.base - less
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
