"""Reads an ELF core into the crash model: threads with registers (general and floating-point), the signal
and the fault, modules with where their symbols came from (or where pmdesk looked), memory segments, the
mutexes threads wait on, and every thread's symbolicated stack."""

from __future__ import annotations

import os

from pmdesk.base.crash import Cause, Crash, Problem, Process, Region, Thread
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.base import IndexSink
from pmdesk.readers.crash_rows import write_crash
from pmdesk.readers.elfcore.compressed import CompressedCoreError, inflated
from pmdesk.readers.elfcore.core import Core, CoreError
from pmdesk.readers.elfcore.goroutines import goroutine_dump
from pmdesk.readers.elfcore.notes import SIGNALS
from pmdesk.readers.elfcore.python_threads import python_dump
from pmdesk.readers.thread_rows import DumpRecord
from pmdesk.readers.thread_rows import write as write_threads

SIGSTOP = 19  # gdb's gcore stops the process with it: a snapshot, not a crash


def open_core(path: str, paths: SearchPaths, progress: Progress) -> Core:
    """The core (a compressed one inflated once into the cache), as a one-line error when it is not one."""
    try:
        inflated(path, lambda fraction, what: progress.update(0.5 * fraction, what))
        return Core(path, paths)
    except (CoreError, CompressedCoreError) as e:
        raise DumpFormatError(path, str(e), 0) from None


def read_core(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index time: the crash model with the default symbol search, into the crash_* tables; a Go program's
    goroutines into the td_* tables, as one thread dump."""
    core = open_core(path, SearchPaths(), progress)
    try:
        inflated_bytes = os.fstat(core.file.fileno()).st_size
        if inflated_bytes != os.path.getsize(path):   # a compressed core: what it holds, for triage's sizes
            sink.meta("dump.inflated_bytes", inflated_bytes)
        crash = crash_of(core, progress)
        record = runtime_threads(core, crash)
        write_crash(sink, crash)
        if record is not None:
            write_threads(sink, [record])
    finally:
        core.close()


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    core = open_core(path, paths, progress)
    try:
        crash = crash_of(core, progress)
        runtime_threads(core, crash)  # a Go or Python program's names, panics and Python frames in the stacks
        return crash
    finally:
        core.close()


def runtime_threads(core: Core, crash: Crash) -> DumpRecord | None:
    """The threads of the runtime the program ran on, as a thread dump — a Go program's goroutines, a CPython
    process's Python threads (their frames also put into the native stacks) — or None for a native program."""
    return goroutine_dump(core, crash) or python_dump(core, crash)


def crash_of(core: Core, progress: Progress) -> Crash:
    notes = core.notes
    crashed = core.crashed_thread()
    snapshot = notes.signal == SIGSTOP
    threads = []
    for i, t in enumerate(notes.threads):
        threads.append(Thread(t.tid, crashed=t.tid == crashed and not snapshot, current=t.tid == crashed and snapshot,
                              signal=t.signal, registers=t.registers, extra_registers=list(t.fp),
                              frames=core.frames(t.registers)))
        progress.update(0.5 + 0.5 * (i + 1) / max(len(notes.threads), 1), "unwinding stacks")
    fault = core.fault() or {}
    computed = fault.get("computed")
    cause = Cause(signal=notes.signal, signal_name=SIGNALS.get(notes.signal or 0), code=notes.signal_code,
                  fault_address=notes.fault_address, fault_access=fault.get("access"),
                  computed_address=fault.get("address") if computed else None,
                  stack_overflow=bool(fault.get("stack_overflow")))
    regions = [Region(s.start, s.end, _perms(s.flags), s.file_size) for s in core.memory.segments]
    return Crash(Process(pid=notes.pid, command=notes.command, arch=core.machine), cause, threads,
                 [m.as_module() for m in core.modules], regions, waits=core.waits(), snapshot=snapshot,
                 problems=_problems(core))


def _perms(flags: int) -> str:
    return ("r" if flags & 4 else "-") + ("w" if flags & 2 else "-") + ("x" if flags & 1 else "-")


def _problems(core: Core) -> list[Problem]:
    notes = core.notes
    out = []
    if not notes.threads:
        out.append(Problem("core.no_threads", "error", "the core has no NT_PRSTATUS notes: no threads or registers"))
    out += [Problem("core.bad_note", "warning", problem) for problem in notes.problems]
    if core.truncated:
        out.append(Problem("core.truncated", "warning", f"the core is cut short: {core.truncated:,} bytes of process "
                           "memory it lists are missing (a core size limit?); stacks read from there end early"))
    if not notes.files:
        if core.modules:
            out.append(Problem("core.no_file_note", "info", "the core does not list its mapped files (no NT_FILE "
                               "note): modules were placed from the program's headers and the dynamic linker's list"))
        else:
            out.append(Problem("core.binary_missing", "warning", "the core does not list its mapped files (no NT_FILE "
                               f"note) and the program was not found (looked in {', '.join(core.main_looked[:3])}): "
                               "give it with --exe"))
    out += [Problem("core.build_id_mismatch", "warning", w)
            for w in [*core.warnings, *(m.warning for m in core.modules if m.warning)]]
    out += [Problem("core.binary_missing", "info", f"{m.name}: binary not found (looked in {', '.join(m.looked[:3])}…);"
                    " its frames show as module+offset") for m in core.modules if m.binary is None]
    return out
