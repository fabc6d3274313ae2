"""A tombstone's parts as the crash model: threads (the crashing one first) with registers and frames, the
memory map as regions and as modules — one per ELF file, every readable mapping of the file from the one
at file offset 0 that carries its BuildId, as Sentry and sentry-native count them — the cause and abort
message in the headline, logcat and open files as sections. Frames are symbolicated like ndk-stack, from
unstripped .so files found by BuildId under the user's folders (or debug directories, or debuginfod), with
inlined functions and file:line from the DWARF code cores use."""

from __future__ import annotations

import os

from pmdesk.base.crash import Cause, Crash, Frame, Module, Problem, Process, Region, Section, Thread
from pmdesk.base.progress import Progress
from pmdesk.native.elf_catalogue import elf_with_build_id
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, find_binary, find_debug_file
from pmdesk.readers.tombstone.parts import TFrame, TMapping, Tomb

MASK = (1 << 64) - 1


def modules_of(mappings: list[TMapping]) -> list[Module]:
    """One module per ELF file: readable, named mappings (not /dev/), starting at a mapping of file offset 0
    with a BuildId and extended by the same file's following mappings."""
    out: list[Module] = []
    current: Module | None = None
    for m in mappings:
        if "r" not in m.perms or not m.name or m.name.startswith("/dev/"):
            continue
        if m.build_id and m.offset == 0:
            if current is not None and current.path == m.name:
                current.end = m.end
                continue
            current = Module(os.path.basename(m.name), m.start, m.end, m.start, m.name, m.build_id)
            out.append(current)
        elif current is not None and current.path == m.name:
            current.end = m.end
    return out


def debug_id_of(build_id: str) -> str | None:
    """Breakpad's and Sentry's debug id of an ELF build-id: its first 16 bytes (zero-padded) as a GUID whose
    first three fields are little-endian; None for a build-id that is not whole hex bytes (a damaged file's)."""
    try:
        raw = bytes.fromhex(build_id)[:16].ljust(16, b"\0")
    except ValueError:
        return None
    g = raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]
    h = g.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Symbols:
    """The unstripped ELF files of a tombstone's modules, found once per BuildId."""

    def __init__(self, paths: SearchPaths, beside: str) -> None:
        self.paths = paths
        self.folders = [*paths.search_dirs, *paths.debug_dirs, beside]
        self.images: dict[str, Image | None] = {}
        self.looked: dict[str, list[str]] = {}

    def image(self, module: Module) -> Image | None:
        bid = module.build_id
        if not bid:
            return None
        if bid not in self.images:
            found, looked = elf_with_build_id(bid, self.folders)
            if found is None:
                by_name = find_binary(module.path or module.name, bid, SearchPaths(
                    search_dirs=self.paths.search_dirs, debuginfod_urls=self.paths.debuginfod_urls,
                    cache_dir=self.paths.cache_dir), False)
                found = by_name.path if by_name.path and by_name.path != module.path else None
                looked += by_name.looked
            debug = find_debug_file(found, bid, self.paths) if found else None
            if debug is not None:
                looked += debug.looked
            self.looked[bid] = looked
            self.images[bid] = Image(module.path or module.name, module.base, module.end, 0, bid, module.name,
                                     binary=found, debug_file=debug.path if debug else None) if found else None
        return self.images[bid]

    def close(self) -> None:
        for image in self.images.values():
            if image is not None:
                image.close()


MAPPING_RELATIVE_BEFORE = 11  # Android releases before this print pcs relative to the code's mapping
PAGE = 0x1000  # the page size of those releases' devices


def elf_address(image: Image, rel_pc: int, map_offset: int) -> int:
    """The ELF address of a pc that an Android release before 11 printed relative to the executable mapping
    starting at file offset `map_offset` (android/ndk#1366; flutter/flutter#67812): add the virtual address
    that mapping starts at, from the ELF's first executable PT_LOAD covering that offset (page-aligned, as the
    loader maps it)."""
    elf = image.elf
    if elf is None:
        return rel_pc
    loads = [s.header for s in elf.iter_segments() if s.header.p_type == "PT_LOAD" and s.header.p_flags & 1]
    h = next((h for h in loads if h.p_offset & ~(PAGE - 1) <= map_offset < h.p_offset + h.p_filesz),
             loads[0] if loads else None)
    if h is None:
        return rel_pc
    return rel_pc + map_offset - (h.p_offset & ~(PAGE - 1)) + (h.p_vaddr & ~(PAGE - 1))


def _frames(frames: list[TFrame], modules: list[Module], symbols: Symbols, version: int | None) -> list[Frame]:
    out = []
    by_path = {m.path: m for m in modules}
    for f in frames:
        mod = by_path.get(f.file)
        pc = f.pc if f.pc is not None else (mod.base + f.rel_pc if mod is not None else f.rel_pc)
        name = os.path.basename(f.file) if f.file else None
        image = symbols.image(mod) if mod is not None and mod.build_id == (f.build_id or mod.build_id) else None
        rel = f.rel_pc
        if image is not None and version is not None and version < MAPPING_RELATIVE_BEFORE \
                and not f.file.endswith(".apk"):
            rel = elf_address(image, f.rel_pc, f.file_map_offset or 0)
        locs = image.locations(rel) if image is not None else []
        if locs and locs[-1].function:
            out += [Frame(pc & MASK, name, rel, loc.function, loc.file, loc.line, loc.inlined,
                          "symbolicated-by-report") for loc in locs]
            continue
        out.append(Frame(pc & MASK, name, f.rel_pc, f.function, trust="symbolicated-by-report",
                         symbol_offset=f.function_offset if f.function else None))
    return out


def headline(t: Tomb, crash: Crash) -> str | None:
    """'SIGSEGV SEGV_MAPERR at 0x0 in libnative.so!crash_now+12 — Cause: null pointer dereference'."""
    if not t.signal_name:
        return None
    what = t.signal_name + (f" {t.code_name}" if t.code_name else "")
    if t.fault_address is not None:
        what += f" at 0x{t.fault_address:x}"
    raw = t.threads[0].frames[0] if t.threads and t.threads[0].frames else None  # as the device named it
    top = crash.threads[0].frames[0] if crash.threads and crash.threads[0].frames else None  # symbolicated
    if raw is not None and top is not None:
        fn = raw.function or top.function
        where = f"{fn}+{raw.function_offset}" if raw.function and raw.function_offset else fn or \
            f"0x{raw.rel_pc:x}"
        what += f" in {os.path.basename(raw.file)}!{where}"
        if top.file:
            what += f" at {os.path.basename(top.file)}:{top.line}"
    if t.causes:
        what += f" — Cause: {t.causes[0]}"
    if t.abort_message:
        what += f" — Abort message: {t.abort_message}"
    return what


def crash_of(t: Tomb, path: str, paths: SearchPaths, progress: Progress) -> Crash:
    modules = modules_of(t.mappings)
    symbols = Symbols(paths, os.path.dirname(os.path.abspath(path)))
    threads = []
    try:
        for i, th in enumerate(t.threads):
            progress.update(0.3 + 0.6 * i / max(len(t.threads), 1), "symbolicating")
            threads.append(Thread(th.tid, th.name, crashed=th.tid == t.tid and i == 0, registers=th.registers,
                                  frames=_frames(th.frames, modules, symbols, t.android_version)))
            if i == 0:  # a memory error's allocation and deallocation stacks, after the thread that hit it
                threads += [Thread(h.tid, h.name, frames=_frames(h.frames, modules, symbols,
                                                                  t.android_version)) for h in t.heap_stacks]
        for m in modules:
            image = symbols.images.get(m.build_id or "")
            m.debug_id = debug_id_of(m.build_id) if m.build_id else None
            m.arch = t.abi
            m.looked = symbols.looked.get(m.build_id or "", [])
            if image is not None:
                m.binary, m.debug_file, m.symbols = image.binary, image.debug_file, image.symbols_found
    finally:
        symbols.close()
    cause = Cause(signal=t.signal, signal_name=t.signal_name, code=t.code, code_name=t.code_name,
                  fault_address=t.fault_address, message=t.abort_message)
    process = Process(pid=t.pid, command=t.command, executable=dict(t.facts).get("Executable"),
                      os=f"Android {t.android_version}" if t.android_version else None, arch=t.abi, time=t.timestamp)
    sections = [Section("Report", "\n".join(f"{k}: {v}" for k, v in t.facts if k != "Signal"))] if t.facts else []
    if t.causes and "Cause" not in dict(t.facts):  # the proto form: the text form has them among its lines
        sections.append(Section("Cause", "\n".join(t.causes)))
    notes = [n for th in t.threads for n in th.notes]
    if notes:
        sections.append(Section("Backtrace notes", "\n".join(dict.fromkeys(notes))))
    if t.log:
        sections.append(Section("Logcat", "\n".join(t.log)))
    if t.open_files:
        sections.append(Section("Open files", "\n".join(t.open_files)))
    regions = [Region(m.start, m.end, m.perms, 0, m.name or None) for m in t.mappings]
    problems = [Problem("tombstone.damaged", "warning", p) for p in t.problems]
    if not threads:
        problems.append(Problem("tombstone.no_threads", "warning", "the tombstone lists no threads"))
    crash = Crash(process, cause, threads, modules, regions, sections, problems=problems)
    crash.cause.headline = headline(t, crash)
    unnamed = {f.module for th in threads for f in th.frames if f.function is None}
    missing = [m.name for m in modules if not m.symbols and m.name in unnamed]
    if missing:
        problems.append(Problem("tombstone.symbols_missing", "info", f"no unstripped .so found for "
                                f"{', '.join(missing[:8])}{'…' if len(missing) > 8 else ''} (give their folder "
                                "with --search-dir): their frames show as module + offset"))
    return crash
