"""What the crash docks share for one open crash: the crash model (from the index, or read again when the
user gave symbol paths) and its deadlocks; the dump's memory (when its reader offers it) and the modules'
images, opened on first need for the Registers, Disassembly and Memory docks; source lines of a frame."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pmdesk.base.crash import Crash, Thread
from pmdesk.base.progress import Progress
from pmdesk.model.crash.jvm_log import with_jvm_log
from pmdesk.model.crash.report import stack_doc, summary
from pmdesk.model.crash.store import deadlocks_of, load_crash, stored_deadlocks
from pmdesk.model.dump import Diagnostic, Dump
from pmdesk.model.formats import Kind
from pmdesk.native.symbol_files import SearchPaths

if TYPE_CHECKING:
    from pmdesk.native.image import Image
    from pmdesk.readers.base import CrashMemory


def has_paths(paths: SearchPaths | None) -> bool:
    return paths is not None and bool(paths.exe or paths.debug_dirs or paths.search_dirs)


SYMBOL_CODES = ("core.binary_missing", "apple.dsym_missing", "tombstone.symbols_missing")  # depend on the paths


def current_diagnostics(dump: Dump, paths: SearchPaths | None) -> list[Diagnostic]:
    """The dump's diagnostics as they stand with the symbol paths the user set: for a crash read again with
    other paths, what symbols are missing is what that reading found, not what the index recorded."""
    diags = dump.diagnostics()
    if not dump.has(Kind.CRASH) or not has_paths(paths):
        return diags
    fresh = CrashSession.of(dump, paths).crash.problems
    return [d for d in diags if d.code not in SYMBOL_CODES] + [
        Diagnostic(None, p.code, p.severity, p.message) for p in fresh if p.code in SYMBOL_CODES]


class CrashSession:
    def __init__(self, dump: Dump, paths: SearchPaths | None = None) -> None:
        self.dump = dump
        self.paths = paths
        if has_paths(paths):  # other symbol paths: read the dump again (the index stays as it is)
            self.crash: Crash = with_jvm_log(dump.spec.reader.crash(dump.path, paths, Progress(path=dump.path)),
                                             dump.path)
            self.deadlocks = deadlocks_of(self.crash)
        else:
            self.crash = load_crash(dump)
            self.deadlocks = stored_deadlocks(dump)
        self._memory: CrashMemory | None | bool = None
        self._images: list[Image] | None = None

    @classmethod
    def of(cls, dump: Dump, paths: SearchPaths | None = None, reuse: bool = False) -> CrashSession:
        """The session of an open crash for these symbol paths (kept on the dump while they stay the same);
        with `reuse`, whatever session the docks have open."""
        s = dump.cache.get("crash_session")
        if s is not None and (reuse or s.paths == paths):
            return s
        if s is not None:
            s.close()
        s = dump.cache["crash_session"] = cls(dump, paths)
        return s

    @property
    def memory(self) -> CrashMemory | None:
        if self._memory is None:
            reader = self.dump.spec.reader
            self._memory = reader.memory(self.dump.path, self.paths or SearchPaths()) if hasattr(reader, "memory") \
                else False
        return self._memory or None

    @property
    def images(self) -> list[Image]:
        """The modules as symbolication images (their binaries and debug files opened on first use)."""
        if self._images is None:
            from pmdesk.native.image import Image

            self._images = [Image(m.path or m.name, m.base, m.end, m.bias, m.build_id, m.name, m.binary, m.debug_file)
                            for m in self.crash.modules]
        return self._images

    def image_at(self, addr: int) -> Image | None:
        return next((m for m in self.images if m.start <= addr < m.end), None)

    def close(self) -> None:
        if self._memory:
            self._memory.close()
        self._memory = None
        for im in self._images or []:
            im.close()
        self._images = None

    def summary(self) -> str:
        return summary(self.crash, self.deadlocks)

    def document(self) -> dict[str, Any]:
        """The `pmdesk stack --json` document of this reading."""
        return stack_doc(self.crash, self.deadlocks)

    def thread(self, tid: int | None) -> Thread | None:
        return self.crash.thread(tid)

    def describe(self, value: int) -> str:
        """What an address points into: module+offset <function>, or the memory region holding it."""
        im = self.image_at(value)
        if im is not None:
            rel = value - im.bias
            name = im.locations(rel)[-1].function
            where = f"{os.path.basename(im.name)}+0x{rel:x}"
            return f"{where} <{name}>" if name else where
        region = next((r for r in self.crash.regions if r.start <= value < r.end), None)
        if region is not None:
            sps = [t.registers.get("rsp", t.registers.get("sp", -1)) for t in self.crash.threads]
            if any(region.start <= sp < region.end for sp in sps):
                return "[stack]"
            return f"mapping {region.perms} at 0x{region.start:x}"
        return ""

    def disassemble(self, pc: int, before: int = 48, count: int = 40) -> list[tuple[int, str, str]]:
        """Instructions around pc: (address, bytes hex, text), from the function's start when DWARF (else the
        symbol table) says where it is (so x86 decoding is in step), else from a little before pc."""
        from pmdesk.native.disasm import disassemble

        memory = self.memory
        if memory is None:
            return []
        start = pc - before
        im = self.image_at(pc)
        if im is not None:
            fn = im.dwarf.function(pc - im.bias) if im.dwarf is not None else None
            if fn is not None and "DW_AT_low_pc" in fn.attributes:
                start = max(im.bias + fn.attributes["DW_AT_low_pc"].value, pc - 4096)
            elif (sym := im.symbols.start_of(pc - im.bias)) is not None:  # no DWARF: the symbol table's start
                if self.crash.process.arch in ("arm", "EM_ARM"):
                    sym &= ~1  # a Thumb function's symbol has bit 0 set
                start = max(im.bias + sym, pc - 4096)
        code = None
        first = start
        for after in (16 * count, 160, 48, 16):  # the longest run of code the dump (or binary) has around pc
            start = first
            while code is None and start < pc:
                code = memory.read(start, pc - start + after)
                if code is None:
                    start = pc if start + 16 >= pc else start + 16
            if code is None:
                start, code = pc, memory.read(pc, after)
            if code is not None:
                break
        if code is None:
            return []
        insns = disassemble(self.crash.process.arch or "", code, start, 400)
        at = next((i for i, x in enumerate(insns) if x.address >= pc), len(insns))
        lo = max(0, at - count // 2)
        return [(x.address, code[x.address - start:x.address - start + x.size].hex(" "), x.text)
                for x in insns[lo:lo + count]]

    def read(self, addr: int, n: int) -> bytes | None:
        memory = self.memory
        return memory.read(addr, n) if memory is not None else None

    def source_dirs(self) -> list[str]:
        """Where source files are looked for: beside the program, the search folders, beside the dump."""
        p = self.paths
        beside = [os.path.dirname(os.path.abspath(self.dump.path))]
        if p is None:
            return beside
        return ([os.path.dirname(p.exe)] if p.exe else []) + list(p.search_dirs) + beside


def source_lines(file: str | None, line: int | None, around: int = 6,
                 dirs: list[str] | None = None) -> tuple[str, list[tuple[int, str]]] | None:
    """(where it was found, lines around `line`) of a source file: at its recorded path, else by name in
    `dirs` (beside the program binary, the library directories — like gdb's `directory`)."""
    if not file or not line:
        return None
    if not os.path.isfile(file):  # in a folder: as a source tree holds it (com/example/Foo.java), else by name
        file = next((c for d in dirs or [] for name in dict.fromkeys((file, os.path.basename(file)))
                     if not os.path.isabs(name) or name == os.path.basename(file)
                     if os.path.isfile(c := os.path.join(d, name))), "")
        if not file:
            return None
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    lo = max(1, line - around)
    return file, [(n, lines[n - 1]) for n in range(lo, min(len(lines), line + around) + 1)]
