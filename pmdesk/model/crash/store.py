"""The crash model read back from an index's crash_* tables, and its deadlocks (the stored cycles, or those
of a crash read again with other symbol paths)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pmdesk.base.crash import Cause, Crash, Frame, Module, Process, Region, Section, Thread, Wait
from pmdesk.index.derive.wait_cycles import wait_cycles

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

MASK = (1 << 64) - 1


def _u(v: int | None) -> int | None:
    return None if v is None else v & MASK


def load_crash(dump: Dump) -> Crash:
    """The crash as the index holds it (a JVM's core joined with its error log beside it: model/crash/jvm_log)."""
    from pmdesk.model.crash.jvm_log import with_jvm_log

    return with_jvm_log(_stored_crash(dump), dump.path)


def _stored_crash(dump: Dump) -> Crash:
    conn = dump.conn
    row = conn.execute("SELECT pid, command, executable, os, arch, time, version, signal, signal_name, code, "
                       "code_name, exception, fault_address, fault_access, computed_address, stack_overflow, message, "
                       "headline, snapshot, os_version, cpu_info, cpu_count FROM crash_report").fetchone()
    process, cause, snapshot = Process(), Cause(), False
    if row is not None:
        process = Process(*row[:7], os_version=row[19], cpu_info=row[20], cpu_count=row[21])
        cause = Cause(row[7], row[8], row[9], row[10], row[11], _u(row[12]), row[13], _u(row[14]), bool(row[15]),
                      row[16], row[17])
        snapshot = bool(row[18])
    frames: dict[int, list[Frame]] = {}
    for idx, pc, module, offset, function, file, line, inlined, trust, symbol_offset, kind in conn.execute(
            "SELECT thread_idx, pc, module, module_offset, function, file, line, inlined, trust, symbol_offset, kind "
            "FROM crash_frame ORDER BY thread_idx, depth"):
        frames.setdefault(idx, []).append(Frame(pc & MASK, module, _u(offset), function, file, line, bool(inlined),
                                                trust, symbol_offset, kind))
    threads = [Thread(tid, name, bool(crashed), bool(current), signal, queue, json.loads(regs),
                      [tuple(r) for r in json.loads(extra)], frames.get(idx, []), state)
               for idx, tid, name, crashed, current, signal, queue, regs, extra, state in conn.execute(
                   "SELECT idx, tid, name, crashed, current, signal, queue, registers, extra_registers, state "
                   "FROM crash_thread ORDER BY idx")]
    modules = [Module(name, base & MASK, end & MASK, bias & MASK, path, build_id, debug_id, arch, binary, debug_file,
                      symbols == "found", json.loads(looked), warning)
               for name, path, base, end, bias, build_id, debug_id, arch, binary, debug_file, symbols, looked, warning
               in conn.execute("SELECT name, path, base, end_, bias, build_id, debug_id, arch, binary, debug_file, "
                               "symbols, looked, warning FROM crash_module ORDER BY idx")]
    regions = [Region(s & MASK, e & MASK, perms, present, name) for s, e, perms, present, name in conn.execute(
        "SELECT start, end_, perms, present_bytes, name FROM crash_region ORDER BY rowid")]
    sections = [Section(t, x, bool(s)) for t, x, s in conn.execute(
        "SELECT title, text, in_summary FROM crash_section ORDER BY idx")]
    waits = [Wait(tid, lock & MASK, name, owner) for tid, lock, name, owner in conn.execute(
        "SELECT tid, lock, lock_name, owner FROM crash_wait ORDER BY rowid")]
    return Crash(process, cause, threads, modules, regions, sections, waits, snapshot)


def missing_program(dump: Dump) -> str | None:
    """The program's recorded path when the index found no binary for it (a core whose program is not here)."""
    row = dump.conn.execute("SELECT path, binary FROM crash_module ORDER BY idx LIMIT 1").fetchone()
    return row[0] if row is not None and row[1] is None else None


def stored_deadlocks(dump: Dump) -> list[list[Wait]]:
    """The cycles index/derive/crash_deadlocks.py found."""
    cycles: dict[int, list[Wait]] = {}
    for cycle, tid, lock, name, owner in dump.conn.execute(
            "SELECT cycle, tid, lock, lock_name, owner FROM crash_deadlock ORDER BY cycle, position"):
        cycles.setdefault(cycle, []).append(Wait(tid, lock & MASK, name, owner))
    return list(cycles.values())


def deadlocks_of(crash: Crash) -> list[list[Wait]]:
    """The cycles of a crash's lock waits (for a crash not read from an index)."""
    by_tid = {w.tid: w for w in crash.waits}
    return [[by_tid[t] for t in cyc] for cyc in wait_cycles({w.tid: w.owner for w in crash.waits})]
