"""ELF core queries: the `pmdesk stack --json` document (signal, crashing thread, every thread's frames,
modules), a crash summary in plain words, and the overview — from the index, or recomputed with other
symbol search paths (`--exe`, `--debug-dir`, `--search-dir`) straight from the core."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pmdesk.readers.elfcore.notes import SIGNALS

if TYPE_CHECKING:  # opening a core itself (pyelftools) waits until something needs more than the index
    from pmdesk.model.dump import Dump
    from pmdesk.native.symbol_files import SearchPaths
    from pmdesk.readers.elfcore.core import Core

MASK = (1 << 64) - 1
APP_EXCLUDE = ("libc.so", "libstdc++", "libgcc_s", "ld-linux", "libpthread", "libm.so")


def stack_doc(dump: Dump) -> dict[str, Any]:
    """The `stack --json` document from the index."""
    conn = dump.conn
    threads = []
    for idx, tid in conn.execute("SELECT idx, tid FROM core_thread ORDER BY idx"):
        frames = [{"pc": pc & MASK, "module": module, "function": function, "file": file, "line": line,
                   "inlined": bool(inlined), "how": how}
                  for pc, module, function, file, line, inlined, how in conn.execute(
                      "SELECT pc, module, function, file, line, inlined, how FROM core_frame WHERE thread_idx = ? "
                      "ORDER BY depth", (idx,))]
        threads.append({"tid": tid, "name": None, "frames": frames})
    modules = [{"path": name, "build_id": build_id, "base": start & MASK, "symbols": symbols,
                "debug_file": debug_file}
               for name, build_id, start, symbols, debug_file in conn.execute(
                   "SELECT name, build_id, start, symbols, debug_file FROM core_module ORDER BY start")]
    m = dump.meta
    return {"signal": m.get("core.signal"), "crashed_thread": m.get("core.crashed_tid"), "threads": threads,
            "modules": modules, "deadlocks": m.get("core.deadlocks") or []}


def live_stack_doc(path: str, paths: SearchPaths) -> dict[str, Any]:
    """The same document computed from the core with these search paths (the index is not changed)."""
    from pmdesk.readers.elfcore.core import Core, CoreError

    try:
        core = Core(path, paths)
    except CoreError as e:
        raise ValueError(str(e)) from None
    try:
        threads = [{"tid": t.tid, "name": None, "frames": [f.as_json() for f in core.frames(t.registers)]}
                   for t in core.notes.threads]
        modules = [{"path": m.name, "build_id": m.build_id, "base": m.start,
                    "symbols": "found" if m.symbols_found else "missing", "debug_file": m.debug_file}
                   for m in core.modules]
        warnings = [*core.warnings, *(m.warning for m in core.modules if m.warning)]
        return {"signal": core.signal_json(), "crashed_thread": core.crashed_thread(), "threads": threads,
                "modules": modules, "deadlocks": core.deadlocks(), "_warnings": warnings,
                "_fault": core.fault()}
    finally:
        core.close()


def crashed_mark(doc: dict[str, Any]) -> str:
    """What the signalled thread is called: 'crashed', or 'current' in a snapshot of a live process (gcore
    stops it with SIGSTOP; nothing crashed)."""
    return "current" if (doc["signal"] or {}).get("name") == "SIGSTOP" else "crashed"


def crashed_first(doc: dict[str, Any]) -> list[dict[str, Any]]:
    threads = list(doc["threads"])
    threads.sort(key=lambda t: t["tid"] != doc["crashed_thread"])
    return threads


def first_app_frame(frames: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first frame in the program's own code (not the C/C++ runtime)."""
    return next((f for f in frames if f["module"] and not any(x in f["module"] for x in APP_EXCLUDE)), None)


def summary(doc: dict[str, Any], fault: dict[str, Any] | None = None) -> str:
    """What killed the process, in plain words ("NULL pointer write in store_value()"); `fault` is
    Core.fault() (the access, and the address when the core's siginfo has none)."""
    sig = doc["signal"] or {}
    name = sig.get("name") or "no signal"
    crashed = next((t for t in doc["threads"] if t["tid"] == doc["crashed_thread"]), None)
    frames = crashed["frames"] if crashed else []
    functions = [f["function"] for f in frames if f["function"]]
    top = next(iter(functions), "an unknown function")
    app = first_app_frame(frames)
    if app and app["function"]:
        where = f"{app['function']}()"
    elif app:  # the program's code, without its symbols
        where = f"0x{app['pc']:x} in {os.path.basename(app['module'])}"
    else:
        where = f"{top}()"
    if app and app.get("file"):
        where += f" at {os.path.basename(app['file'])}:{app['line']}"
    fault = fault or {}
    addr = sig.get("fault_address")
    if addr is None:
        addr = fault.get("address")
    access = fault.get("access") or "access"
    for cycle in doc.get("deadlocks") or []:
        steps = [f"thread {w['tid']} waits for {w['mutex_name'] or 'mutex'} (0x{w['mutex']:x}) held by thread "
                 f"{w['owner']}" for w in cycle]
        return "deadlock: " + "; ".join(steps)
    if name in ("SIGSEGV", "SIGBUS") and fault.get("stack_overflow"):
        return f"stack overflow in {where}" + _recursion(functions)
    if name in ("SIGSEGV", "SIGBUS") and addr is not None:
        if addr < 4096:
            return f"NULL pointer {access} in {where}"
        return f"invalid {access} at 0x{addr:x} in {where}"
    if name == "SIGABRT":
        if any("assert_fail" in f for f in functions):
            return f"assertion failed in {where}"
        if any(f in ("std::terminate()", "__cxa_throw") or "terminate" in f for f in functions):
            return f"C++ exception not caught, thrown from {where}"
        return f"abort() called from {where}"
    if name == "SIGSTOP":
        return f"a snapshot (gcore) of a live process: {len(doc['threads'])} thread(s), nothing crashed"
    if name == "SIGFPE":
        return f"arithmetic error (division by zero?) in {where}"
    return f"{name} in {where}"


def _recursion(functions: list[str]) -> str:
    """' (descend recursing 4,642 frames deep)' when one function fills most of the stack."""
    if not functions:
        return ""
    top = max(set(functions), key=functions.count)
    n = functions.count(top)
    return f" ({top} recursing {n:,} frames deep)" if n >= 64 and n * 2 > len(functions) else ""


def status_line(dump: Dump) -> str:
    """What the status line says once a core is open."""
    m = dump.meta
    return (f"core of {m.get('core.command') or '?'}: {m.get('core.signal_name') or 'no signal'}, "
            f"{m.get('summary.threads', 0)} thread(s)")


def overview(dump: Dump) -> list[tuple[str, str]]:
    m = dump.meta
    sig = m.get("core.signal") or {}
    conn = dump.conn
    mods = conn.execute("SELECT COUNT(*), SUM(symbols = 'found') FROM core_module").fetchone()
    session = dump.cache.get("core_session")  # the docks' reading, with the user's symbol paths, when open
    doc = session.doc if session is not None else stack_doc(dump)
    fault = session.fault if session is not None else m.get("core.fault")
    return [
        ("File", dump.path),
        ("Format", f"ELF core ({m.get('core.machine')})"),
        ("Command", m.get("core.command") or ""),
        ("Signal", signal_line(sig, fault)),
        ("What happened", summary(doc, fault)),
        ("Threads", f"{m.get('summary.threads', 0)} (crashed: {m.get('core.crashed_tid')})"),
        ("Modules", f"{mods[0]} ({mods[1] or 0} with symbols)"),
        ("Index", str(dump.index_path)),
    ]


def signal_text(sig: dict[str, Any]) -> str:
    """'SIGSEGV (11), code 1' (the code when the core has one)."""
    if not sig.get("name"):
        return "no signal"
    code = f", code {sig['code']}" if sig.get("code") is not None else ""
    return f"{sig['name']} ({sig['number']}){code}"


def fault_text(sig: dict[str, Any], fault: dict[str, Any] | None) -> str | None:
    """The fault address the core records, or the one worked out from the faulting instruction, saying so."""
    if sig.get("fault_address") is not None:
        return f"0x{sig['fault_address']:x}"
    if fault and fault.get("address") is not None:
        return f"0x{fault['address']:x} (from the faulting instruction; the core has no siginfo)"
    return None


def signal_line(sig: dict[str, Any], fault: dict[str, Any] | None) -> str:
    """'SIGSEGV (11), code 1, fault address 0x4'."""
    where = fault_text(sig, fault)
    return signal_text(sig) + (f", fault address {where}" if where else "")


def registers(dump: Dump, tid: int) -> dict[str, int]:
    row = dump.conn.execute("SELECT registers FROM core_thread WHERE tid = ?", (tid,)).fetchone()
    return json.loads(row[0]) if row else {}


def signal_name(number: int | None) -> str | None:
    return SIGNALS.get(number or 0)


class CoreSession:
    """What the core docks share for one open core: its stack document (from the index, or recomputed
    when the user gave symbol paths) and the core itself, opened on first need, for memory, registers and
    disassembly."""

    def __init__(self, dump: Dump, paths: SearchPaths | None = None) -> None:
        self.dump = dump
        self.paths = paths
        self._core: Core | None = None
        if paths is not None and (paths.exe or paths.debug_dirs or paths.search_dirs):
            doc = live_stack_doc(dump.path, paths)
            doc.pop("_warnings")
            self.fault = doc.pop("_fault")
        else:
            doc = stack_doc(dump)
            self.fault = dump.meta.get("core.fault")
        self.doc = doc

    @classmethod
    def of(cls, dump: Dump, paths: SearchPaths | None = None) -> CoreSession:
        """The session of an open core for these symbol paths (kept on the dump while they stay the same)."""
        s = dump.cache.get("core_session")
        if s is None or s.paths != paths:
            if s is not None:
                s.close()
            s = dump.cache["core_session"] = cls(dump, paths)
        return s

    @property
    def core(self) -> Core:
        from pmdesk.native.symbol_files import SearchPaths
        from pmdesk.readers.elfcore.core import Core

        if self._core is None:
            self._core = Core(self.dump.path, self.paths or SearchPaths())
        return self._core

    def close(self) -> None:
        if self._core is not None:
            self._core.close()
            self._core = None

    def summary(self) -> str:
        return summary(self.doc, self.fault)

    def thread(self, tid: int) -> dict[str, Any] | None:
        return next((t for t in self.doc["threads"] if t["tid"] == tid), None)

    def registers(self, tid: int) -> dict[str, int]:
        return next((t.registers for t in self.core.notes.threads if t.tid == tid), {})

    def fp_registers(self, tid: int) -> list[tuple[str, str]]:
        """The thread's floating-point and vector registers (NT_FPREGSET), as gdb prints them."""
        return next((t.fp for t in self.core.notes.threads if t.tid == tid), [])

    def describe(self, value: int) -> str:
        """What an address points into: module+offset (function), or the mapping / segment holding it."""
        core = self.core
        mod = core.module_at(value)
        if mod is not None:
            rel = value - mod.bias
            locs = mod.dwarf.locations(rel) if mod.dwarf is not None else None
            name = locs[-1].function if locs else mod.symbols.lookup(rel)
            where = f"{os.path.basename(mod.name)}+0x{rel:x}"
            return f"{where} <{name}>" if name else where
        seg = core.memory.segment(value)
        if seg is not None:
            stack = any(seg.start <= t.registers.get("rsp", t.registers.get("sp", -1)) < seg.end
                        for t in core.notes.threads)
            perms = ("r" if seg.flags & 4 else "-") + ("w" if seg.flags & 2 else "-") + ("x" if seg.flags & 1 else "-")
            return "[stack]" if stack else f"mapping {perms} at 0x{seg.start:x}"
        return ""

    def disassemble(self, pc: int, before: int = 48, count: int = 40) -> list[tuple[int, str, str]]:
        """Instructions around pc: (address, bytes hex, text), from the function's start when a symbol says
        where it is (so x86 decoding is in step), else from a little before pc."""
        from pmdesk.native.disasm import disassemble

        core = self.core
        start = pc - before
        mod = core.module_at(pc)
        if mod is not None:
            fn = mod.dwarf.function(pc - mod.bias) if mod.dwarf is not None else None
            if fn is not None and "DW_AT_low_pc" in fn.attributes:
                start = max(mod.bias + fn.attributes["DW_AT_low_pc"].value, pc - 4096)
        code = None
        while code is None and start < pc:
            code = core.memory.read(start, pc - start + 16 * count)
            if code is None:
                start = pc if start + 16 >= pc else start + 16
        code = code or core.memory.read(pc, 16 * count)
        if code is None:
            return []
        insns = disassemble(core.machine, code, start, 400)
        at = next((i for i, x in enumerate(insns) if x.address >= pc), len(insns))
        lo = max(0, at - count // 2)
        return [(x.address, code[x.address - start:x.address - start + x.size].hex(" "), x.text)
                for x in insns[lo:lo + count]]

    def source_dirs(self) -> list[str]:
        p = self.paths
        if p is None:
            return []
        return ([os.path.dirname(p.exe)] if p.exe else []) + list(p.search_dirs)

    def memory(self, addr: int, n: int) -> bytes | None:
        return self.core.memory.read(addr, n)


def source_lines(file: str | None, line: int | None, around: int = 6,
                 dirs: list[str] | None = None) -> tuple[str, list[tuple[int, str]]] | None:
    """(where it was found, lines around `line`) of a source file: at its recorded path, else by name in
    `dirs` (beside the program binary, the library directories — like gdb's `directory`)."""
    if not file or not line:
        return None
    if not os.path.isfile(file):
        file = next((c for d in dirs or [] if os.path.isfile(c := os.path.join(d, os.path.basename(file)))), "")
        if not file:
            return None
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    lo = max(1, line - around)
    return file, [(n, lines[n - 1]) for n in range(lo, min(len(lines), line + around) + 1)]
