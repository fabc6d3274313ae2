"""What both Apple report forms share once read: the exception in plain words, and a frame in a report's words."""

from __future__ import annotations

import os

from pmdesk.base.crash import Crash, Frame, frame_name, is_apple_system_image


def frame_words(f: Frame) -> str:
    """'-[MyClass crashingMethod] (main.m:21)', 'start + 462', or 'CrashingTest + 15941' when unnamed."""
    where = f" ({os.path.basename(f.file)}:{f.line})" if f.function and f.file and f.line is not None else ""
    return frame_name(f) + where


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
    system = {m.name for m in crash.modules if is_apple_system_image(m.path)}
    app = next((f for f in frames if f.module not in system and f.module != "???"), None)
    if top is not None and top.module in system and app is not None:
        what += f", called from {frame_words(app)}"
    return what
