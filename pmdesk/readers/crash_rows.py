"""Writes a crash (base/crash.py) into the crash_* tables of an index — what every crash reader calls — and
the shape of a reader of reports (Apple, Android), whose crash model is all their index holds."""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, ClassVar

from pmdesk.base.crash import Crash
from pmdesk.base.file_numbers import i64
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink

if TYPE_CHECKING:
    from pmdesk.native.symbol_files import SearchPaths


class ReportReader:
    """A crash reader of a report: its `READER_MODULE`'s read_crash(path, paths, progress) builds the crash
    model (imported on first use), indexed with the default symbol search; a report holds no memory."""

    READER_MODULE: ClassVar[str]

    @classmethod
    def read(cls, path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.native.symbol_files import SearchPaths

        write_crash(sink, cls.crash(path, SearchPaths(), progress))

    @classmethod
    def crash(cls, path: str, paths: SearchPaths, progress: Progress) -> Crash:
        """The crash model read again with these symbol folders (the index is not changed)."""
        return importlib.import_module(cls.READER_MODULE).read_crash(path, paths, progress)

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> None:
        """A report holds no process memory (at most a few bytes around registers)."""
        return None


def s64(v: int | None) -> int | None:
    """An address as SQLite can hold it (signed 64-bit; the model reads it back with & 0xFFFF_FFFF_FFFF_FFFF)."""
    if v is None:
        return None
    v &= (1 << 64) - 1  # a damaged dump can make a load bias negative or wider than 64 bits
    return v - (1 << 64) if v >= 1 << 63 else v


def write_crash(sink: IndexSink, crash: Crash) -> None:
    p, c = crash.process, crash.cause
    sink.insert("crash_report", (
        "pid", "command", "executable", "os", "arch", "time", "version", "signal", "signal_name", "code",
        "code_name", "exception", "fault_address", "fault_access", "computed_address", "stack_overflow", "message",
        "headline", "snapshot", "os_version", "cpu_info", "cpu_count"),
        [(i64(p.pid), p.command, p.executable, p.os, p.arch, p.time, p.version, i64(c.signal), c.signal_name,
          i64(c.code), c.code_name, c.exception, s64(c.fault_address), c.fault_access, s64(c.computed_address),
          c.stack_overflow, c.message, c.headline, crash.snapshot, p.os_version, p.cpu_info, i64(p.cpu_count))])
    frames = []
    for i, t in enumerate(crash.threads):
        sink.insert("crash_thread", ("idx", "tid", "name", "crashed", "current", "signal", "queue", "registers",
                                     "extra_registers", "state"),
                    [(i, s64(t.tid), t.name, t.crashed, t.current, t.signal, t.queue, json.dumps(t.registers),
                      json.dumps(t.extra_registers), t.state)])
        frames += [(i, d, s64(f.pc), f.module, s64(f.module_offset), f.function, f.file, i64(f.line), f.inlined,
                    f.trust, i64(f.symbol_offset), f.kind) for d, f in enumerate(t.frames)]
    sink.insert("crash_frame", ("thread_idx", "depth", "pc", "module", "module_offset", "function", "file", "line",
                                "inlined", "trust", "symbol_offset", "kind"), frames)
    sink.insert("crash_module", ("idx", "name", "path", "base", "end_", "bias", "build_id", "debug_id", "arch",
                                 "binary", "debug_file", "symbols", "looked", "warning"),
                [(i, m.name, m.path, s64(m.base), s64(m.end), s64(m.bias), m.build_id, m.debug_id, m.arch, m.binary,
                  m.debug_file, "found" if m.symbols else "missing", json.dumps(m.looked), m.warning)
                 for i, m in enumerate(crash.modules)])
    sink.insert("crash_region", ("start", "end_", "perms", "present_bytes", "name"),
                [(s64(r.start), s64(r.end), r.perms, r.present_bytes, r.name) for r in crash.regions])
    sink.insert("crash_section", ("idx", "title", "text", "in_summary"),
                [(i, s.title, s.text, s.in_summary) for i, s in enumerate(crash.sections)])
    sink.insert("crash_wait", ("tid", "lock", "lock_name", "owner"),
                [(w.tid, s64(w.lock), w.lock_name, w.owner) for w in crash.waits])
    for pr in crash.problems:
        sink.diagnostic(None, pr.code, pr.message, pr.severity)
    sink.meta("summary.threads", len(crash.threads))
