"""What a native crash says, for every crash format: the `pmdesk stack --json` document, what killed the
process in plain words ("NULL pointer write in store_value() at segv_chain.c:9"), the signal and fault in a
line, the crashing thread first, the Overview and the status line."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmdesk.base.crash import (
    LAST_EXCEPTION_TID,
    Cause,
    Crash,
    Frame,
    Module,
    Thread,
    Wait,
    frame_name,
    is_apple_system_image,
)
from pmdesk.base.signals import si_code_name
from pmdesk.base.words import plural

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

APP_EXCLUDE = ("libc.so", "libstdc++", "libgcc_s", "ld-linux", "libpthread", "libm.so")


def stack_doc(crash: Crash, deadlocks: list[list[Wait]]) -> dict[str, Any]:
    """The `stack --json` document: signal, crashing thread, every thread's frames, modules, deadlocks."""
    c = crash.cause
    crashed = crash.crashed_thread
    recorded = not crash.snapshot or bool(c.exception)  # a crash, or a dump its writer says why it took
    return {
        "signal": {"number": c.signal, "name": c.signal_name if c.signal else None, "code": c.code,
                   "fault_address": c.fault_address},
        "crashed_thread": crashed.tid if crashed else None,
        "threads": [{"tid": t.tid, "name": t.name, "frames": [frame_json(f) for f in t.frames], "state": t.state}
                    for t in crash.threads],
        "modules": [{"path": m.name, "build_id": m.build_id, "base": m.base,
                     "symbols": "found" if m.symbols else "missing", "debug_file": m.debug_file,
                     "code_id": m.build_id, "debug_id": m.debug_id}
                    for m in crash.modules],
        "deadlocks": [[{"tid": w.tid, "mutex": w.lock, "mutex_name": w.lock_name, "owner": w.owner} for w in cycle]
                      for cycle in deadlocks],
        "crash_info": {"type": crash_reason(c) if recorded else None,
                       "address": f"0x{c.fault_address:016x}" if c.fault_address is not None else None,
                       "crashing_thread": crash.threads.index(crashed) if crashed and recorded else None,
                       "assertion": c.message},
        "system_info": {"os": crash.process.os, "os_ver": crash.process.os_version, "cpu_arch": crash.process.arch,
                        "cpu_info": crash.process.cpu_info, "cpu_count": crash.process.cpu_count},
    }


def crash_reason(c: Cause) -> str | None:
    """The crash reason as minidump-stackwalk words it: 'SIGSEGV /SEGV_MAPERR', 'EXC_BAD_ACCESS /
    KERN_INVALID_ADDRESS', 'EXCEPTION_ACCESS_VIOLATION_WRITE'."""
    if c.exception:
        return c.exception + (f" / {c.code_name}" if c.code_name else "")
    if c.signal_name:  # Breakpad's spacing, exactly: 'SIGSEGV /SEGV_MAPERR' but 'SIGBUS / BUS_ADRERR'
        code = c.code_name or (si_code_name(c.signal_name, c.code) if c.code is not None else None)
        if not code:
            return c.signal_name
        return f"{c.signal_name} {'/' if c.signal_name == 'SIGSEGV' else '/ '}{code}"
    return None


FRAME_KINDS = {"java-compiled": "Java (compiled)", "java-aot": "Java (AOT-compiled)",
               "java-interpreted": "Java (interpreted)", "vm": "JVM", "vm-stub": "JVM stub", "native": "native",
               "python": "Python"}


def frame_json(f: Frame) -> dict[str, Any]:
    return {"pc": f.pc, "module": f.module, "function": f.function, "file": f.file, "line": f.line,
            "inlined": f.inlined, "how": f.how, "module_offset": f.module_offset, "trust": f.trust,
            "symbol_offset": f.symbol_offset, "kind": f.kind}


def unsymbolicated_modules(crash: Crash) -> list[str]:
    """Modules without symbols that a frame needed (a report's own names for the others are enough)."""
    unnamed = {f.module for t in crash.threads for f in t.frames if f.function is None}
    return [m.name for m in crash.modules if not m.symbols and m.name in unnamed]


def thread_label(t: Thread) -> str:
    """'Thread 0  com.apple.uikit.eventfetch-thread  [queue com.apple.main-thread]', or 'Last Exception
    Backtrace' for the stack an Apple report's exception was thrown from."""
    if t.tid == LAST_EXCEPTION_TID:
        return "Last Exception Backtrace"
    if t.tid < 0 and t.name:  # a stack that is not a thread's: a memory error's allocation/deallocation stack
        return t.name
    return f"Thread {t.tid}" + (f"  {t.name}" if t.name else "") + (f"  [queue {t.queue}]" if t.queue else "")


WORD32_ARCHES = ("EM_386", "EM_ARM", "x86", "arm")  # 32-bit machines: addresses in 8 hex digits, as gdb prints them


def address_digits(arch: str | None) -> int:
    """How many hex digits an address of `arch` is printed with (gdb's width)."""
    return 8 if arch in WORD32_ARCHES else 16


def stack_text(t: Thread, arch: str | None = None) -> str:
    """A thread's frames as gdb's bt prints them ('#1  0x… in f () at file:line') — what Ctrl+C copies."""
    lines = [thread_label(t)]
    digits = address_digits(arch)
    for i, f in enumerate(t.frames):
        where = f" at {f.file}:{f.line}" if f.file else f" from {f.module}" if f.module else ""
        pc = "" if f.inlined or i == 0 and f.file else f"0x{f.pc:0{digits}x} in "
        lines.append(f"#{i:<2} {pc}{frame_name(f) if f.function else '??'}{where}")
    return "\n".join(lines) + "\n"


def crashed_mark(crash: Crash) -> str:
    """What the signalled thread is called: 'crashed', or 'current' in a snapshot of a live process (gcore
    stops it with SIGSTOP; nothing crashed)."""
    return "current" if crash.snapshot else "crashed"


def crashed_first(crash: Crash) -> list[Thread]:
    crashed = crash.crashed_thread
    return sorted(crash.threads, key=lambda t: t is not crashed)


ABORTS = ("SIGABRT",)  # the program stopped itself: the frames above its own code are the C library's abort path


def start_depth(crash: Crash) -> int:
    """The frame of the crashed thread the docks open on: for an abort, the first frame in the program's own
    code (abort, raise and pthread_kill are above it), else the innermost."""
    crashed = crash.crashed_thread
    if crashed is None or crash.cause.signal_name not in ABORTS:
        return 0
    app = first_app_frame(crashed.frames, crash.modules)
    return crashed.frames.index(app) if app is not None else 0


def first_app_frame(frames: list[Frame], modules: Sequence[Module] = ()) -> Frame | None:
    """The first frame in the program's own code (not the C/C++ runtime, nor Apple's OS images)."""
    system = {m.name for m in modules if is_apple_system_image(m.path)}
    return next((f for f in frames if f.module and f.module not in system and f.module != "???"
                 and not any(x in f.module for x in APP_EXCLUDE)
                 and not (f.function or "").startswith(("runtime.", "<signal"))), None)  # Go's runtime, in the program


def summary(crash: Crash, deadlocks: list[list[Wait]]) -> str:
    """What killed the process, in plain words ("NULL pointer write in store_value()")."""
    c = crash.cause
    if c.headline:
        return c.headline
    name = c.signal_name or "no signal"
    crashed = crash.crashed_thread
    frames = crashed.frames if crashed else []
    functions = [f.function for f in frames if f.function]
    top = next(iter(functions), "an unknown function")
    app = first_app_frame(frames, crash.modules)
    if app and app.function:
        where = f"{app.function}()"
    elif app:  # the program's code, without its symbols
        where = f"0x{app.pc:x} in {os.path.basename(app.module or '')}"
    else:
        where = f"{top}()"
    if app and app.file:
        where += f" at {os.path.basename(app.file)}:{app.line}"
    addr = c.fault_address if c.fault_address is not None else c.computed_address
    access = c.fault_access or "access"
    for cycle in deadlocks:
        steps = [f"thread {w.tid} waits for {w.lock_name or 'mutex'} (0x{w.lock:x}) held by thread {w.owner}"
                 for w in cycle]
        return "deadlock: " + "; ".join(steps)
    if name in ("SIGSEGV", "SIGBUS") and c.stack_overflow:
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
    if crash.snapshot:
        return f"a snapshot (gcore) of a live process: {plural(len(crash.threads), 'thread')}, nothing crashed"
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


def signal_text(c: Cause) -> str:
    """'SIGSEGV (11), code 1' (the code when the dump has one)."""
    if not c.signal_name:
        return "no signal"
    code = f", code {c.code}" if c.code is not None else ""
    return f"{c.signal_name} ({c.signal}){code}"


def fault_text(c: Cause) -> str | None:
    """The fault address the dump records, or the one worked out from the faulting instruction, saying so."""
    if c.fault_address is not None:
        return f"0x{c.fault_address:x}"
    if c.computed_address is not None:
        return f"0x{c.computed_address:x} (from the faulting instruction; the core has no siginfo)"
    return None


def signal_line(c: Cause) -> str:
    """'SIGSEGV (11), code 1, fault address 0x4'."""
    where = fault_text(c)
    return signal_text(c) + (f", fault address {where}" if where else "")


def status_line(dump: Dump) -> str:
    """What the status line says once a crash is open."""
    row = dump.conn.execute("SELECT command, signal_name, exception FROM crash_report").fetchone() or (None,) * 3
    what = dump.spec.what.split(" ", 1)[1]  # 'ELF core dump', 'Apple crash report'
    stopped = row[2] or row[1] or "no signal"
    return f"{what} of {row[0] or '?'}: {stopped}, {plural(dump.meta.get('summary.threads', 0), 'thread')}"


def overview(dump: Dump) -> list[tuple[str, str]]:
    from pmdesk.model.crash.session import CrashSession

    s = CrashSession.of(dump, None, reuse=True)  # the docks' reading (with the user's symbol paths) when open
    crash = s.crash
    mods = crash.modules
    crashed = crash.crashed_thread
    return [
        ("File", dump.path),
        ("Format", f"{dump.spec.what.split(' ', 1)[1]} ({crash.process.arch})"),
        ("Command", crash.process.command or ""),
        ("Signal", signal_line(crash.cause)),
        ("What happened", s.summary()),
        ("Threads", f"{len(crash.threads)} (crashed: {crashed.tid if crashed else None})"),
        ("Modules", f"{len(mods)} ({sum(m.symbols for m in mods)} with symbols)"),
        ("Index", str(dump.index_path)),
    ]
