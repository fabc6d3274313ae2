"""The Python threads of a CPython process's core, as faulthandler prints them and Bloomberg's `pystack core`
interleaves them with the native frames: the interpreter's own structures read from the core's memory —
`_PyRuntime` (the dynamic symbol of libpython or the python executable) → its interpreters → each
interpreter's thread states → each thread's frame chain (`cframe->current_frame`, `previous`) → each frame's
code object (`co_name`, `co_filename`) and the line of its current instruction from the code's location
table (PEP 626; Objects/locations.md). The thread holding the GIL is `_PyRuntime.gilstate.tstate_current`.

Structure layouts are per CPython minor version (LAYOUTS, 64-bit, 3.8 to 3.13): those of each release's
headers (Include/cpython/pystate.h, Include/internal/pycore_frame.h, pycore_runtime.h, pycore_interp.h,
Include/cpython/code.h, unicodeobject.h, frameobject.h), checked with gdb's `ptype/o` on 3.8.18, 3.9.18,
3.10.13, 3.11.7, 3.12.1 and 3.13.0 builds' DWARF; a version without a layout here is said, not guessed. The
version is the process's own `Py_Version` (3.11+), else the library's or program's name (libpython3.9.so).
3.13's _Py_DebugOffsets (the offsets the runtime publishes for debuggers) would make 3.14+ readable without a
table: not read yet."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmdesk.base.crash import Crash, Frame, Problem
from pmdesk.readers.thread_rows import DumpRecord
from pmdesk.readers.thread_rows import Frame as TdFrame
from pmdesk.readers.thread_rows import Thread as TdThread

if TYPE_CHECKING:
    from pmdesk.readers.elfcore.core import Core

# Byte offsets of the fields pmdesk reads, by (major, minor). A thread's newest frame is
# tstate->cframe->current_frame (3.11, 3.12) or tstate->current_frame (3.13); a frame's code is f_code
# (f_executable in 3.13) and its instruction prev_instr (the last one begun; instr_ptr, the current one, in
# 3.13); the frames a C call of the evaluation loop starts are marked is_entry (3.11) or follow a shim frame
# owned by the C stack (owner FRAME_OWNED_BY_CSTACK, 3.12+); the GIL's holder is _PyRuntime's
# gilstate.tstate_current (3.11) or the interpreter's gil->last_holder while gil->locked (3.12+).
_COMMON = {"tstate.next": 0x8, "interp.next": 0x0, "frame.previous": 0x8, "unicode.length": 0x10,
           "unicode.state": 0x20, "bytes.size": 0x10, "bytes.data": 0x20, "code.co_filename": 0x70,
           "code.co_name": 0x78, "code.co_linetable": 0x88, "code.co_firstlineno": 0x44, "gil.last_holder": 0x8,
           "gil.locked": 0x10}
LAYOUTS = {
    (3, 11): {**_COMMON,
              "runtime.interpreters_head": 0x28, "runtime.tstate_current": 0x240, "interp.threads_head": 0x10,
              "tstate.cframe": 0x38, "cframe.current_frame": 0x8, "tstate.thread_id": 0x98,
              "tstate.native_thread_id": 0xA0, "frame.code": 0x20, "frame.previous": 0x30, "frame.instr": 0x38,
              "frame.is_entry": 0x44, "code.co_code_adaptive": 0xB8, "code.co_firstlineno": 0x48,
              "unicode.ascii_data": 48,
              "unicode.compact_data": 72},
    (3, 12): {**_COMMON,
              "runtime.interpreters_head": 0x28, "interp.threads_head": 0x48, "interp.gil": 0x180,
              "tstate.cframe": 0x38, "cframe.current_frame": 0x0, "tstate.thread_id": 0x88,
              "tstate.native_thread_id": 0x90, "frame.code": 0x0, "frame.instr": 0x38, "frame.owner": 0x46,
              "code.co_code_adaptive": 0xC0, "unicode.ascii_data": 40, "unicode.compact_data": 56},
    (3, 13): {**_COMMON,
              "runtime.interpreters_head": 0x278, "interp.next": 0x1C60, "interp.threads_head": 0x1CB0,
              "interp.gil": 0x10, "tstate.current_frame": 0x48, "tstate.thread_id": 0x98,
              "tstate.native_thread_id": 0xA0, "frame.code": 0x0, "frame.instr": 0x38, "frame.owner": 0x46,
              "code.co_code_adaptive": 0xC8, "unicode.ascii_data": 40, "unicode.compact_data": 56},
}
# 3.8-3.10: frames are objects (tstate->frame, f_back, f_code, f_lasti — a byte offset in 3.8 and 3.9, an
# instruction index in 3.10), each run by its own C call of the evaluation loop; a line from co_lnotab (3.8,
# 3.9: byte pairs of address and signed line increments) or co_linetable (3.10: pairs of address delta and
# signed line delta, -128 for no line); no native thread id: the thread id (pthread_t) is the thread's TCB,
# its fs_base on x86-64
_OBJECT_FRAMES = {"tstate.next": 0x8, "interp.next": 0x0, "interp.threads_head": 0x8, "tstate.frame": 0x18,
                  "tstate.thread_id": 0xB0, "frame.back": 0x18, "frame.code": 0x20, "code.co_filename": 0x68,
                  "code.co_name": 0x70, "code.line_table": 0x78, "code.co_firstlineno": 0x28,
                  "unicode.length": 0x10, "unicode.state": 0x20, "unicode.ascii_data": 48, "unicode.compact_data": 72,
                  "bytes.size": 0x10, "bytes.data": 0x20, "runtime.interpreters_head": 0x20}
LAYOUTS.update({
    (3, 8): {**_OBJECT_FRAMES, "runtime.tstate_current": 0x558, "frame.lasti": 0x68, "lnotab": 1},
    (3, 9): {**_OBJECT_FRAMES, "runtime.tstate_current": 0x238, "frame.lasti": 0x68, "lnotab": 1},
    (3, 10): {**_OBJECT_FRAMES, "runtime.tstate_current": 0x238, "frame.lasti": 0x60, "lasti_units": 1},
})
OWNED_BY_CSTACK = 3  # a 3.12+ shim frame the evaluation loop pushes for a call from C: not a Python frame
MAX_THREADS = 10_000
MAX_FRAMES = 10_000  # faulthandler stops at 100; a deep recursion's frames are all read here
EVAL_FUNCTION = "_PyEval_EvalFrameDefault"  # the C function running a chain of Python frames


@dataclass
class PyFrame:
    function: str
    file: str
    line: int | None
    entry: bool   # the first Python frame a C call of the evaluation loop started (3.11's is_entry)


@dataclass
class PyThread:
    thread_id: int         # pthread_t, as faulthandler prints it ('Thread 0x00007f…')
    native_id: int         # the LWP: the core's thread
    holds_gil: bool
    frames: list[PyFrame] = field(default_factory=list)


class PythonCore:
    def __init__(self, core: Core, runtime: int, version: tuple[int, int]) -> None:
        self.core, self.runtime, self.lay = core, runtime, LAYOUTS[version]

    def u64(self, addr: int) -> int | None:
        return self.core.memory.u64(addr)

    def i32(self, addr: int) -> int | None:
        raw = self.core.memory.read(addr, 4)
        return int.from_bytes(raw, "little", signed=True) if raw is not None else None

    def text(self, obj: int | None) -> str | None:
        """A str object's text (compact ASCII, or compact with 1-, 2- or 4-byte characters)."""
        if not obj:
            return None
        n = self.u64(obj + self.lay["unicode.length"])
        state = self.core.memory.read(obj + self.lay["unicode.state"], 1)
        if n is None or state is None or n > 1 << 20:
            return None
        kind, compact, ascii_ = (state[0] >> 2) & 7, (state[0] >> 5) & 1, (state[0] >> 6) & 1
        if not compact or kind not in (1, 2, 4):
            return None
        at = obj + (self.lay["unicode.ascii_data"] if ascii_ else self.lay["unicode.compact_data"])
        raw = self.core.memory.read(at, n * kind)
        if raw is None:
            return None
        return raw.decode({1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[kind], "replace")

    def line(self, code: int, frame: int) -> int | None:
        """The line of the frame's current instruction (PyCode_Addr2Line of its last instruction)."""
        prev = self.u64(frame + self.lay["frame.instr"])
        first = self.i32(code + self.lay["code.co_firstlineno"])
        table = self.u64(code + self.lay["code.co_linetable"])
        if prev is None or first is None or not table:
            return None
        addr = prev - (code + self.lay["code.co_code_adaptive"])  # bytes: 2 per code unit
        if addr < 0:
            return first
        n = self.u64(table + self.lay["bytes.size"])
        raw = self.core.memory.read(table + self.lay["bytes.data"], n) if n is not None and n < 1 << 24 else None
        return line_at(raw, first, addr) if raw is not None else None

    def newest_frame(self, tstate: int) -> int | None:
        if "tstate.current_frame" in self.lay:
            return self.u64(tstate + self.lay["tstate.current_frame"])
        cframe = self.u64(tstate + self.lay["tstate.cframe"])
        return self.u64(cframe + self.lay["cframe.current_frame"]) if cframe else None

    def object_frames(self, tstate: int) -> list[PyFrame]:
        """3.8-3.10: the thread's frame objects, newest first."""
        frame = self.u64(tstate + self.lay["tstate.frame"])
        out: list[PyFrame] = []
        seen: set[int] = set()
        while frame and frame not in seen and len(out) < MAX_FRAMES:
            seen.add(frame)
            code = self.u64(frame + self.lay["frame.code"])
            if not code:
                break
            lasti = self.i32(frame + self.lay["frame.lasti"])
            first = self.i32(code + self.lay["code.co_firstlineno"])
            table = self.u64(code + self.lay["code.line_table"])
            n = self.u64(table + self.lay["bytes.size"]) if table else None
            raw = self.core.memory.read(table + self.lay["bytes.data"], n) if n is not None and n < 1 << 24 else None
            line = None
            if lasti is not None and first is not None and raw is not None:
                addr = lasti * 2 if "lasti_units" in self.lay else lasti
                line = lnotab_line(raw, first, addr) if "lnotab" in self.lay else linetable_310_line(raw, first, addr)
            out.append(PyFrame(self.text(self.u64(code + self.lay["code.co_name"])) or "???",
                               self.text(self.u64(code + self.lay["code.co_filename"])) or "???", line, True))
            frame = self.u64(frame + self.lay["frame.back"])
        return out

    def frames(self, tstate: int) -> list[PyFrame]:
        if "tstate.frame" in self.lay:
            return self.object_frames(tstate)
        frame = self.newest_frame(tstate)
        out: list[PyFrame] = []
        seen: set[int] = set()
        while frame and frame not in seen and len(out) < MAX_FRAMES:
            seen.add(frame)
            if "frame.owner" in self.lay:
                owner = self.core.memory.read(frame + self.lay["frame.owner"], 1)
                if owner is not None and owner[0] == OWNED_BY_CSTACK:
                    if out:
                        out[-1].entry = True
                    frame = self.u64(frame + self.lay["frame.previous"])
                    continue
            code = self.u64(frame + self.lay["frame.code"])
            if not code:
                break
            entry = self.core.memory.read(frame + self.lay["frame.is_entry"], 1) if "frame.is_entry" in self.lay \
                else None
            out.append(PyFrame(self.text(self.u64(code + self.lay["code.co_name"])) or "???",
                               self.text(self.u64(code + self.lay["code.co_filename"])) or "???",
                               self.line(code, frame), bool(entry and entry[0])))
            frame = self.u64(frame + self.lay["frame.previous"])
        return out

    def gil_holder(self, interp: int) -> int | None:
        if "runtime.tstate_current" in self.lay:
            return self.u64(self.runtime + self.lay["runtime.tstate_current"])
        gil = self.u64(interp + self.lay["interp.gil"])
        locked = self.i32(gil + self.lay["gil.locked"]) if gil else None
        return self.u64(gil + self.lay["gil.last_holder"]) if gil and locked else None

    def threads(self) -> list[PyThread]:
        """Every thread state of every interpreter, each interpreter's newest first (as faulthandler lists)."""
        interp = self.u64(self.runtime + self.lay["runtime.interpreters_head"])
        out: list[PyThread] = []
        seen: set[int] = set()
        while interp and interp not in seen:
            seen.add(interp)
            holder = self.gil_holder(interp)
            t = self.u64(interp + self.lay["interp.threads_head"])
            while t and t not in seen and len(out) < MAX_THREADS:
                seen.add(t)
                native = self.u64(t + self.lay["tstate.native_thread_id"]) if "tstate.native_thread_id" in self.lay \
                    else None  # 3.8-3.10: found by the thread id (python_dump)
                out.append(PyThread(self.u64(t + self.lay["tstate.thread_id"]) or 0, native or 0, t == holder,
                                    self.frames(t)))
                t = self.u64(t + self.lay["tstate.next"])
            interp = self.u64(interp + self.lay["interp.next"])
        return out


def _varint(data: bytes, i: int) -> tuple[int, int]:
    b = data[i]
    i += 1
    value, shift = b & 63, 0
    while b & 64 and i < len(data):
        b = data[i]
        i += 1
        shift += 6
        value |= (b & 63) << shift
    return value, i


def line_at(table: bytes, first_line: int, addr: int) -> int | None:
    """The line of the code unit at byte offset `addr` from a 3.11+ location table: entries of a header byte
    (0x80 | code << 3 | units - 1) and a code's operands; codes 15 no location, 14 long form and 13 no columns
    (a signed varint line delta first), 10–12 one line forms (delta code - 10), 0–9 short forms (same line)."""
    line, start, i = first_line, 0, 0
    while i < len(table):
        head = table[i]
        code, units = (head >> 3) & 15, (head & 7) + 1
        delta = 0
        if code in (13, 14) and i + 1 < len(table):
            raw, _ = _varint(table, i + 1)
            delta = -(raw >> 1) if raw & 1 else raw >> 1
        elif code in (10, 11, 12):
            delta = code - 10
        line += delta
        end = start + 2 * units
        if start <= addr < end:
            return None if code == 15 else line
        start = end
        i += 1
        while i < len(table) and not table[i] & 0x80:
            i += 1
    return None


def lnotab_line(table: bytes, first_line: int, addr: int) -> int:
    """3.8/3.9's co_lnotab: (address increment, signed line increment) byte pairs (PyCode_Addr2Line)."""
    line, at = first_line, 0
    for i in range(0, len(table) - 1, 2):
        at += table[i]
        if at > addr:
            break
        step = table[i + 1]
        line += step - 256 if step > 127 else step
    return line


def linetable_310_line(table: bytes, first_line: int, addr: int) -> int | None:
    """3.10's co_linetable: (address delta, signed line delta; -128: no line) byte pairs."""
    computed, end = first_line, 0
    for i in range(0, len(table) - 1, 2):
        start, end = end, end + table[i]
        step = table[i + 1] - 256 if table[i + 1] > 127 else table[i + 1]
        line = None if step == -128 else computed + step
        if step != -128:
            computed += step
        if start <= addr < end:
            return line
    return None


def _runtime(core: Core) -> tuple[int, tuple[int, int] | None] | None:
    """_PyRuntime's address and the interpreter's version (from Py_Version), when a module exports them: a
    libpython, or the program itself (a python linked statically, an application embedding it) — only those
    are asked (reading every library's symbol table cost more than the core's stacks)."""
    main = core.symbolizer.main_path
    for m in core.modules:
        if "python" not in os.path.basename(m.path or m.name) and m.path != main:
            continue
        if m.elf is None or (runtime := m.symbols.object_address("_PyRuntime")) is None:
            continue
        version_at = m.symbols.object_address("Py_Version")
        version = None
        named = re.search(r"python(\d)\.(\d+)", os.path.basename(m.path or m.name))
        if named:
            version = (int(named.group(1)), int(named.group(2)))
        raw = core.memory.read(m.bias + version_at, 4) if version_at else None
        if raw is not None:
            v = int.from_bytes(raw, "little")
            version = (v >> 24, (v >> 16) & 0xFF)
        return m.bias + runtime, version
    return None


def python_dump(core: Core, crash: Crash) -> DumpRecord | None:
    """A CPython process's Python threads as one thread dump (faulthandler's shape), their frames also put
    into the core's native stacks after the evaluation loop's C frames that run them (as pystack shows them);
    None for a core of another program."""
    found = _runtime(core)
    if found is None:
        return None
    runtime, version = found
    if version not in LAYOUTS:
        words = f"{version[0]}.{version[1]}" if version else "before 3.11"
        crash.problems.append(Problem("core.python_version", "info", f"a CPython {words} process: pmdesk reads "
                                      f"the Python frames of CPython {', '.join(f'{a}.{b}' for a, b in LAYOUTS)}"))
        return None
    threads = PythonCore(core, runtime, version).threads()
    if not threads:
        return None
    by_tid = {t.tid: t for t in crash.threads}
    by_tcb = {t.registers.get("fs_base"): t.tid for t in crash.threads if t.registers.get("fs_base")}
    out = []
    for pt in threads:
        if not pt.native_id:  # 3.8-3.10: the pthread_t is the thread's TCB (x86-64's fs_base)
            pt.native_id = by_tcb.get(pt.thread_id, 0)
        frames = [TdFrame(f.function, f.file, f.line) for f in pt.frames]
        out.append(TdThread(f"Thread 0x{pt.thread_id:016x}", f"0x{pt.thread_id:x}", 0,
                            state="holds the GIL" if pt.holds_gil else "", native_id=str(pt.native_id),
                            frames=frames))
        native = by_tid.get(pt.native_id)
        if native is not None:
            native.frames = interleaved(native.frames, pt.frames)
    return DumpRecord("python", 0, "Python threads (from the core)", threads=out)


def interleaved(native: list[Frame], python: list[PyFrame]) -> list[Frame]:
    """The native frames with each run of Python frames (innermost first, up to and including an entry frame)
    before the evaluation loop's C frame that runs it, innermost run with the innermost C call."""
    runs: list[list[PyFrame]] = []
    for f in python:
        if not runs or runs[-1][-1].entry:
            runs.append([])
        runs[-1].append(f)
    out: list[Frame] = []
    k = 0
    for f in native:
        if f.function == EVAL_FUNCTION and not f.inlined and k < len(runs):
            out += [Frame(0, None, None, p.function, p.file, p.line, False, "symbolicated-by-report",
                          kind="python") for p in runs[k]]
            k += 1
        out.append(f)
    return out
