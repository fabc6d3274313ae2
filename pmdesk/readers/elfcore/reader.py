"""Indexes an ELF core: threads and their registers, the signal, modules with where their symbols came from
(or where pmdesk looked), memory segments, and every thread's symbolicated stack."""

from __future__ import annotations

import json

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.elfcore.compressed import CompressedCoreError, inflated
from pmdesk.readers.elfcore.core import Core, CoreError
from pmdesk.readers.elfcore.notes import SIGNALS


def read_core(path: str, sink: IndexSink, progress: Progress) -> None:
    try:
        inflated(path, lambda fraction, what: progress.update(0.5 * fraction, what))  # a compressed core, once
        core = Core(path)
    except (CoreError, CompressedCoreError) as e:
        raise DumpFormatError(path, str(e), 0) from None
    try:
        write_core(core, sink, progress)
    finally:
        core.close()


def write_core(core: Core, sink: IndexSink, progress: Progress) -> None:
    notes = core.notes
    if not notes.threads:
        sink.diagnostic(None, "core.no_threads", "the core has no NT_PRSTATUS notes: no threads or registers",
                        "error")
    for problem in notes.problems:
        sink.diagnostic(None, "core.bad_note", problem, "warning")
    if core.truncated:
        sink.diagnostic(None, "core.truncated", f"the core is cut short: {core.truncated:,} bytes of process memory "
                        "it lists are missing (a core size limit?); stacks read from there end early", "warning")
    if not notes.files:
        if core.modules:
            sink.diagnostic(None, "core.no_file_note", "the core does not list its mapped files (no NT_FILE note): "
                            "modules were placed from the program's headers and the dynamic linker's list", "info")
        else:
            sink.diagnostic(None, "core.binary_missing", "the core does not list its mapped files (no NT_FILE "
                            f"note) and the program was not found (looked in {', '.join(core.main_looked[:3])}): "
                            "give it with --exe", "warning")
    for warning in [*core.warnings, *(m.warning for m in core.modules if m.warning)]:
        sink.diagnostic(None, "core.build_id_mismatch", warning, "warning")
    for m in core.modules:
        if m.binary is None:
            sink.diagnostic(None, "core.binary_missing", f"{m.name}: binary not found (looked in "
                            f"{', '.join(m.looked[:3])}…); its frames show as module+offset", "info")
    sink.insert("core_module", ("name", "path", "start", "end_", "bias", "build_id", "binary", "debug_file",
                                "symbols", "looked", "warning"),
                [(m.name, m.path, s64(m.start), s64(m.end), s64(m.bias), m.build_id, m.binary, m.debug_file,
                  "found" if m.symbols_found else "missing", json.dumps(m.looked), m.warning) for m in core.modules])
    sink.insert("core_segment", ("start", "end_", "present", "flags"),
                [(s64(s.start), s64(s.end), s.file_size, s.flags) for s in core.memory.segments])
    rows = []
    for i, t in enumerate(notes.threads):
        sink.insert("core_thread", ("idx", "tid", "signal", "registers"),
                    [(i, t.tid, t.signal, json.dumps(t.registers))])
        for depth, f in enumerate(core.frames(t.registers)):
            rows.append((i, depth, s64(f.pc), f.module, f.function, f.file, f.line, f.inlined, f.how,
                         None if f.offset is None else s64(f.offset)))
        progress.update((i + 1) / max(len(notes.threads), 1), "unwinding stacks")
    sink.insert("core_frame", ("thread_idx", "depth", "pc", "module", "function", "file", "line", "inlined", "how",
                               "module_offset"), rows)
    sig = core.signal_json()
    sink.meta("core.fault", core.fault())
    sink.meta("core.deadlocks", core.deadlocks())
    sink.meta("core.machine", core.machine)
    sink.meta("core.signal", sig)
    sink.meta("core.signal_name", SIGNALS.get(sig["number"] or 0))
    sink.meta("core.crashed_tid", core.crashed_thread())
    sink.meta("core.command", notes.command)
    sink.meta("core.pid", notes.pid)
    sink.meta("summary.threads", len(notes.threads))


def s64(v: int) -> int:
    """An address as SQLite can hold it (signed 64-bit; the model reads it back with & 0xFFFF_FFFF_FFFF_FFFF)."""
    v &= (1 << 64) - 1  # a damaged core can make a load bias negative or wider than 64 bits
    return v - (1 << 64) if v >= 1 << 63 else v
