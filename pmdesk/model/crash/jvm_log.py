"""A JVM's core and its fatal error log as one crash. HotSpot writes hs_err_pid<N>.log first and aborts after
(so the core's signal is SIGABRT, and its crashing thread is inside the VM's error reporting); the log
holds what the core cannot say — the original signal and fault, the crashing thread's Java frames (HotSpot's
own walk through compiled and interpreted code), every Java thread's name and state, the VM's state. So
the crash is the core's threads, memory and modules, with the crashing thread's frames taken from the core
down to the signal handler's frame and from the log after it (native frames the log names re-found in the
core's modules, with the core's file:line), the cause and the log's parts from the log, and the other
threads named as the log lists them. The log is the one beside the core with the core's pid."""

from __future__ import annotations

import os

from pmdesk.base.crash import Crash, Frame, Problem
from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress

SIGNAL_FRAME = "<signal handler called>"
JAVA_KINDS = ("java-compiled", "java-aot", "java-interpreted", "vm-stub")


def log_beside(core_path: str, crash: Crash) -> str | None:
    """hs_err_pid<pid>.log beside the core, when the core is a JVM's (it maps libjvm)."""
    pid = crash.process.pid
    jvm = any(os.path.basename(m.path or m.name).startswith(("libjvm.", "jvm.")) for m in crash.modules)
    if pid is None or not jvm:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(core_path)), f"hs_err_pid{pid}.log")
    return path if os.path.isfile(path) else None


def with_jvm_log(crash: Crash, core_path: str) -> Crash:
    """The core's crash joined with its JVM's error log when there is one beside it (else `crash` as it is)."""
    path = log_beside(core_path, crash)
    if path is None:
        return crash
    from pmdesk.model.formats import sniff
    from pmdesk.native.symbol_files import SearchPaths

    try:
        fmt = sniff(path)
        if not hasattr(fmt.reader, "crash"):
            return crash
        log = fmt.reader.crash(path, SearchPaths(), Progress(path=path))
    except PmdeskError as e:
        crash.problems.append(Problem("core.jvm_log", "warning", f"the JVM's error log beside the core cannot be "
                                      f"read: {e.one_line()}"))
        return crash
    if log.process.pid != crash.process.pid:
        return crash
    return joined(crash, log, os.path.basename(path))


def _core_frame(crash: Crash, frames: list[Frame], f: Frame) -> list[Frame] | None:
    """The core's symbolication of a native frame the log names by module and offset: the first physical
    frame of the core's walk at that address (with the functions inlined there)."""
    module = next((m for m in crash.modules if f.module and os.path.basename(m.path or m.name) == f.module), None)
    if module is None or f.module_offset is None:
        return None
    pc = module.bias + f.module_offset  # the same process: the log's addresses are the core's
    start = next((i for i, x in enumerate(frames) if x.pc == pc and x.function), None)
    if start is None:
        return None
    end = start
    while end + 1 < len(frames) and frames[end].inlined and frames[end + 1].pc == pc:
        end += 1
    return [Frame(pc, x.module, x.module_offset, x.function, x.file, x.line, x.inlined, "symbolicated-by-report",
                  x.symbol_offset, f.kind) for x in frames[start:end + 1]]


def joined(core: Crash, log: Crash, log_name: str) -> Crash:
    """`core` with the log's cause, crashing thread's frames, thread names and parts (see the module's words)."""
    crashed = log.crashed_thread
    target = core.thread(crashed.tid) if crashed is not None else None
    if crashed is not None and target is not None:
        upto = next((i for i, f in enumerate(target.frames) if f.function == SIGNAL_FRAME), None)
        head = target.frames[:upto + 1] if upto is not None else []
        walked = target.frames[len(head):]  # the core's own walk past the signal: its file:lines, its inlines
        # native code the core's CFI walk went through (HotSpot's frame-pointer walk can skip a library's
        # frames), up to the first code it cannot name (the interpreter's or the JIT's); the log from its
        # first Java frame on
        native = []
        for f in walked:
            if not (f.module and f.function) or f.trust in ("scan", "cfi_scan"):
                break
            native.append(f)
        first_java = next((i for i, f in enumerate(crashed.frames) if f.kind in JAVA_KINDS), None)
        tail: list[Frame] = [Frame(f.pc, f.module, f.module_offset, f.function, f.file, f.line, f.inlined, f.trust,
                                   f.symbol_offset, "native") for f in native] if native and first_java else []
        for f in crashed.frames[first_java if tail else 0:]:
            tail += (_core_frame(core, walked, f) if f.kind in ("native", "vm") else None) or [Frame(
                f.pc, f.module, f.module_offset, f.function, f.file, f.line, f.inlined, f.trust, f.symbol_offset,
                f.kind)]
        target.frames = head + tail
        for t in core.threads:
            t.crashed = t is target
    names = {t.tid: t for t in log.threads}
    for t in core.threads:
        listed = names.get(t.tid)
        if listed is not None:
            t.name, t.state = t.name or listed.name, listed.state
    aborted = core.cause.signal_name
    core.cause = log.cause
    core.process.version = core.process.version or log.process.version
    core.process.command = log.process.command or core.process.command
    core.sections += log.sections
    core.problems.append(Problem("core.jvm_log", "info", f"joined with the JVM's error log {log_name}: the crash is "
                                 f"the log's (the JVM wrote it, then aborted with {aborted or 'a signal'}), the "
                                 "crashing thread's Java frames and every thread's name and state are the log's"))
    return core
