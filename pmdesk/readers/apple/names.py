"""What both Apple report forms share once read: the exception in plain words, and the pseudo-thread that
holds the Last Exception Backtrace (the stack that threw, which the crashed thread's own stack only rethrows)."""

from __future__ import annotations

from pmdesk.base.crash import Crash, Frame

SYSTEM_PREFIXES = ("/usr/lib/", "/System/", "/Library/Apple/", "/usr/libexec/")  # the OS's images, not the app's
LAST_EXCEPTION_TID = -1  # the Last Exception Backtrace's stack, shown as a thread of its own


def frame_words(f: Frame) -> str:
    """'-[MyClass crashingMethod] (main.m:21)', 'start + 462', or 'CrashingTest + 15941' when unnamed."""
    if f.function:
        where = f" ({f.file}:{f.line})" if f.file and f.line is not None else ""
        off = f" + {f.symbol_offset}" if f.symbol_offset is not None and not where else ""
        return f"{f.function}{off}{where}"
    return f"{f.module} + {f.module_offset}" if f.module_offset is not None else f"0x{f.pc:x}"


def headline(crash: Crash) -> str | None:
    """'EXC_BAD_ACCESS (SIGSEGV) at 0x1 — KERN_INVALID_ADDRESS in -[MyClass crashingMethod] (main.m:21)'."""
    c = crash.cause
    what = c.exception or c.signal_name
    if not what:
        return None
    if c.exception and c.signal_name and c.signal_name != c.exception:
        what += f" ({c.signal_name})"
    if c.fault_address is not None:
        what += f" at 0x{c.fault_address:x}"
    if c.code_name and c.code_name != c.signal_name:
        what += f" — {c.code_name}"
    crashed = crash.crashed_thread
    frames = crashed.frames if crashed else []
    top = next(iter(frames), None)
    if top is not None:
        what += f" in {frame_words(top)}"
    system = {m.name for m in crash.modules if (m.path or "").startswith(SYSTEM_PREFIXES)}
    app = next((f for f in frames if f.module not in system and f.module != "???"), None)
    if top is not None and top.module in system and app is not None:
        what += f", called from {frame_words(app)}"
    return what
