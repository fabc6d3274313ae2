"""The goroutines of a Go program's core, as `dlv core` and the runtime's own traceback list them: the Go
runtime's structures read through the program's DWARF (native/go_dwarf.py: `runtime.allgs`, the layouts of
`runtime.g`, `runtime.gobuf`, `runtime.m`) — each goroutine's id, status, wait reason and how long it has
waited, where it was created (`gopc`), and the OS thread running it (`m.procid`) — and its frames, unwound
from its saved context (`g.sched`: pc, sp, bp) by the same unwinder and symbolizer as the core's threads
(Go's frame pointers and .debug_frame; file:line and inlined calls from its DWARF). A goroutine running on a
thread takes that thread's frames up to the switch to the system stack, then continues from `g.sched`
(systemstack and mcall save it there), as dlv does.

Checked against Go 1.19 (Debian's): field names are looked up by name, so a release that moves fields still
reads; one that renames them (`atomicstatus` became an atomic.Uint32 struct in 1.20) is handled where known.
A goroutine blocked in sync.(*Mutex).Lock waits for the mutex whose address the runtime passed down
(`sync.(*Mutex).lockSlow`'s receiver, spilled at its frame's argument pointer)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmdesk.base.crash import Crash, Frame, Problem
from pmdesk.base.errors import PmdeskError
from pmdesk.native.arch import FP, LINK_REGISTER, PC, SP
from pmdesk.native.go_dwarf import GoDwarf, read_go_dwarf
from pmdesk.readers.thread_rows import DumpRecord, LockRef
from pmdesk.readers.thread_rows import Frame as TdFrame
from pmdesk.readers.thread_rows import Thread as TdThread

if TYPE_CHECKING:
    from pmdesk.readers.elfcore.core import Core

# runtime2.go's goroutine states (the _Gscan bit, 0x1000, is set while the GC scans a stack)
STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 5: "moribund", 6: "dead",
          7: "enqueue", 8: "copystack", 9: "preempted"}
DEAD = 6
SCAN_BIT = 0x1000
MAX_GOROUTINES = 1_000_000  # a damaged allgs length is not read past this
SIGNAL_FRAME = "<signal handler called>"  # the symbolizer's name for a signal trampoline's frame
STACK_SWITCHES = ("runtime.systemstack", "runtime.mcall", "runtime.morestack", "runtime.systemstack_switch")


@dataclass
class Goroutine:
    goid: int
    status: str
    wait_reason: str | None
    wait_since_ns: int | None      # runtime nanotime() when it parked (0: not recorded)
    thread: int | None             # the OS thread (LWP) running it
    created_by: str | None         # the function whose `go` statement started it
    created_at: tuple[str | None, int | None] = (None, None)
    frames: list[Frame] = field(default_factory=list)
    mutex: int | None = None       # the sync.Mutex it waits for
    panic: str | None = None       # what a running goroutine panicked with


def _fields(dw: GoDwarf, type_name: str) -> dict[str, tuple[int, int]]:
    """A runtime structure's fields by name: (offset, DWARF type)."""
    t = dw.by_name.get(type_name)
    ty = dw.types.get(t) if t is not None else None
    if ty is None:
        raise PmdeskError(type_name, "is not in the program's DWARF")
    return {name: (off, tid) for name, off, tid in ty.members}


def _global(dw: GoDwarf, name: str) -> int | None:
    return next((addr for n, addr, _t in dw.globals if n == name), None)


class GoCore:
    """Reads the runtime's structures of a Go program's core."""

    def __init__(self, core: Core, exe: str) -> None:
        self.core = core
        self.dw = read_go_dwarf(exe)
        self.g, self.gobuf, self.m, self.stack = (_fields(self.dw, f"runtime.{name}")
                                                   for name in ("g", "gobuf", "m", "stack"))
        main = next((m for m in core.modules if m.binary == exe), None)
        self.bias = main.bias if main is not None else 0

    def u64(self, addr: int) -> int | None:
        return self.core.memory.u64(addr)

    def u32(self, addr: int) -> int | None:
        raw = self.core.memory.read(addr, 4)
        return int.from_bytes(raw, "little") if raw is not None else None

    def u8(self, addr: int) -> int | None:
        raw = self.core.memory.read(addr, 1)
        return raw[0] if raw else None

    def string(self, addr: int) -> str | None:
        """A Go string header (data pointer, length) at addr, its text."""
        ptr, n = self.u64(addr), self.u64(addr + 8)
        if ptr is None or n is None or n > 4096:
            return None
        if n == 0:
            return ""
        raw = self.core.memory.read(ptr, n)
        return raw.decode("utf-8", "replace") if raw is not None else None

    def allgs(self) -> list[int]:
        """The addresses of every g the runtime knows (allgs: a []*g)."""
        at = _global(self.dw, "runtime.allgs")
        if at is None:
            return []
        ptr, n = self.u64(at + self.bias), self.u64(at + self.bias + 8)
        if ptr is None or n is None or n > MAX_GOROUTINES:
            return []
        raw = self.core.memory.read(ptr, 8 * n)
        if raw is None:
            return []
        return [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]

    def wait_reasons(self) -> list[str]:
        """runtime.waitReasonStrings: the words the runtime prints for each wait reason."""
        at = _global(self.dw, "runtime.waitReasonStrings")
        if at is None:
            return []
        out = []
        for i in range(64):
            s = self.string(at + self.bias + 16 * i)
            if s is None:
                break
            out.append(s)
        return out

    def type_name(self, t: int) -> str | None:
        """A runtime type descriptor's name: its `str` name offset from the module's type section (the `type.*`
        symbol), a name being a flags byte, a varint length and the bytes (runtime/type.go, Go 1.17+); a
        leading '*' the linker adds (tflagExtraStar) is dropped."""
        ty = self.dw.by_name.get("runtime._type")
        members = {n: off for n, off, _t in self.dw.types[ty].members} if ty is not None else {}
        base = self.types_base()
        if "str" not in members or "tflag" not in members or base is None:
            return None
        raw = self.core.memory.read(t + members["str"], 4)
        flag = self.u8(t + members["tflag"])
        if raw is None or flag is None:
            return None
        at = base + int.from_bytes(raw, "little", signed=True)
        head = self.core.memory.read(at, 11)
        if head is None:
            return None
        n, shift, i = 0, 0, 1
        while i < len(head):
            n |= (head[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not head[i - 1] & 0x80:
                break
        name = self.core.memory.read(at + i, min(n, 4096))
        text = name.decode("utf-8", "replace") if name is not None else None
        return text[1:] if text and flag & 2 and text.startswith("*") else text

    def types_base(self) -> int | None:
        """Where the program's type descriptors start (the linker's `type.*` symbol, `type:*` from Go 1.20)."""
        main = self.core.module_at(self.bias + (_global(self.dw, "runtime.allgs") or 0))
        if main is None:
            return None
        at = main.symbols.object_address("type.*") or main.symbols.object_address("type:*")
        return at + self.bias if at else None

    def panic_message(self, g: int) -> str | None:
        """What the goroutine panicked with, as the runtime prints it where the value is a string or an
        errors.New / runtime error string; else the value's type."""
        p = self.u64(g + self.g["_panic"][0]) if "_panic" in self.g else None
        if not p:
            return None
        t, data = self.u64(p + 8), self.u64(p + 16)  # _panic.arg: an eface (type, data) after argp
        if not t:
            return None
        name = self.type_name(t)
        if name in ("string", "runtime.errorString", "runtime.plainError") and data:
            text = self.string(data)
            return ("runtime error: " if name == "runtime.errorString" else "") + (text or "")
        if name == "errors.errorString" and data:  # a *errors.errorString: its first field is the string
            return self.string(data)
        return name

    def status_of(self, g: int) -> int | None:
        off = self.g.get("atomicstatus")
        if off is None:
            return None
        return self.u32(g + off[0])  # a uint32, or (1.20+) an atomic.Uint32 whose value is its first word

    def function_at(self, pc: int) -> tuple[str | None, str | None, int | None]:
        """The function a code address is in, and the file:line of the call at a return address."""
        image = self.core.module_at(pc)
        if image is None:
            return None, None, None
        locs = image.locations(pc - 1 - image.bias)
        if not locs:
            return None, None, None
        outer = locs[-1]
        return outer.function, outer.file, outer.line

    def context(self, pc: int, sp: int, bp: int | None, lr: int | None = None) -> dict[str, int]:
        """A saved context as the unwinder's registers of this machine (amd64's rip/rsp/rbp, arm64's
        pc/sp/x29 and the link register x30)."""
        machine = self.core.machine
        regs = {PC[machine]: pc, SP[machine]: sp}
        if machine in FP:
            regs[FP[machine]] = bp or 0
        if machine in LINK_REGISTER and lr:
            regs[LINK_REGISTER[machine]] = lr
        return regs

    def sched_frames(self, g: int) -> list[Frame]:
        base = g + self.g["sched"][0]
        pc = self.u64(base + self.gobuf["pc"][0])
        sp = self.u64(base + self.gobuf["sp"][0])
        bp = self.u64(base + self.gobuf["bp"][0]) if "bp" in self.gobuf else 0
        lr = self.u64(base + self.gobuf["lr"][0]) if "lr" in self.gobuf else 0
        if not pc or not sp:
            return []
        return self.core.frames(self.context(pc, sp, bp, lr), past_main=True, resumed=True)

    def goroutines(self, thread_frames: dict[int, tuple[int, list[Frame]]]) -> list[Goroutine]:
        """Every goroutine not dead, by id; `thread_frames`: each OS thread's stack pointer and frames."""
        reasons = self.wait_reasons()
        out = []
        for g in self.allgs():
            status = self.status_of(g)
            if status is None or status & ~SCAN_BIT == DEAD:
                continue
            status &= ~SCAN_BIT
            goid = self.u64(g + self.g["goid"][0]) if "goid" in self.g else None
            if goid is None:
                continue
            reason = self.u8(g + self.g["waitreason"][0]) if "waitreason" in self.g else None
            since = self.u64(g + self.g["waitsince"][0]) if "waitsince" in self.g else None
            mp = self.u64(g + self.g["m"][0]) if "m" in self.g else None
            tid = self.u64(mp + self.m["procid"][0]) if mp else None
            gopc = self.u64(g + self.g["gopc"][0]) if "gopc" in self.g else None
            created, cfile, cline = self.function_at(gopc) if gopc else (None, None, None)
            frames = self._frames(g, status, tid, thread_frames)
            word = STATUS.get(status, str(status))
            why = reasons[reason] if reason and reason < len(reasons) and status == 4 else None
            gr = Goroutine(goid, word, why, since or None, tid if status in (2, 3) else None,
                           created if goid != 1 else None, (cfile, cline), frames)
            gr.mutex = self._mutex(gr, g)
            gr.panic = self.panic_message(g) if status == 2 else None
            out.append(gr)
        return sorted(out, key=lambda x: x.goid)

    def _frames(self, g: int, status: int, tid: int | None, threads: dict[int, tuple[int, list[Frame]]]) -> list[Frame]:
        if status == 2 and tid in threads:
            sp, native = threads[tid]
            lo = self.u64(g + self.g["stack"][0] + self.stack["lo"][0]) or 0
            hi = self.u64(g + self.g["stack"][0] + self.stack["hi"][0]) or 0
            if lo <= sp < hi:  # the thread runs on the goroutine's own stack: its frames are the goroutine's
                return list(native)
            # on the system or signal stack: its frames up to the switch (or where the walk lost its way,
            # a Go signal trampoline), then the goroutine's own from where the switch saved them
            cut = next((i for i, f in enumerate(native) if f.function in STACK_SWITCHES or f.function is None),
                       None)
            return list(native) if cut is None else native[:cut] + self.sched_frames(g)
        if status == 3 and "syscallpc" in self.g:  # in a system call: where it entered it
            pc = self.u64(g + self.g["syscallpc"][0])
            sp = self.u64(g + self.g["syscallsp"][0])
            bp = self.u64(g + self.g["sched"][0] + self.gobuf["bp"][0]) if "bp" in self.gobuf else 0
            if pc and sp:
                return self.core.frames(self.context(pc, sp, bp), past_main=True, resumed=True)
        return self.sched_frames(g)

    def _mutex(self, gr: Goroutine, g: int) -> int | None:
        """The sync.Mutex a goroutine parked in sync.(*Mutex).lockSlow waits for: lockSlow's receiver, which
        the register ABI spills to the argument area at its frame's top — its caller's stack pointer, the
        frame pointer's value + 16 on amd64 (where the runtime's traceback reads the arguments it prints)."""
        if gr.status != "waiting" or self.core.machine != "EM_X86_64":
            return None
        physical = 0
        for f in gr.frames:
            if f.function == "sync.(*Mutex).lockSlow":
                break
            physical += not f.inlined
        else:
            return None
        bp = self.u64(g + self.g["sched"][0] + self.gobuf["bp"][0]) if "bp" in self.gobuf else None
        for _ in range(physical):  # each physical frame's saved frame pointer is its caller's
            if not bp:
                return None
            bp = self.u64(bp)
        return self.u64(bp + 16) if bp else None


def go_program(core: Core) -> str | None:
    """The main binary's path when it is a Go program (it has the runtime's build information section),
    else None."""
    main = core.symbolizer.main_path
    image = next((m for m in core.modules if main and m.path == main and m.binary), None)
    elf = image.elf if image is not None else None
    if elf is None:
        return None
    try:
        if elf.get_section_by_name(".go.buildinfo") is None and elf.get_section_by_name(".gopclntab") is None:
            return None
    except (OSError, ValueError):
        return None
    return image.binary


def goroutine_dump(core: Core, crash: Crash) -> DumpRecord | None:
    """A Go program's goroutines as one thread dump (the thread-dump model's shape), each running one naming
    the OS thread of the crash that runs it; None for a core of another program. A runtime that cannot be
    read (no DWARF, a damaged allgs) is a problem of the crash, not an error."""
    exe = go_program(core)
    if exe is None:
        return None
    by_tid = {t.tid: t for t in crash.threads}
    try:
        go = GoCore(core, exe)
        sp = SP.get(core.machine, "sp")
        goroutines = go.goroutines({t.tid: (t.registers.get(sp, 0), t.frames) for t in crash.threads})
    except PmdeskError as e:
        crash.problems.append(Problem("core.go_runtime", "warning", f"the Go runtime's goroutines cannot be read: "
                                      f"{e.one_line()}"))
        return None
    if not goroutines:
        crash.problems.append(Problem("core.go_runtime", "warning", "a Go program's core whose runtime lists no "
                                      "goroutines (runtime.allgs unreadable)"))
        return None
    threads = []
    for gr in goroutines:
        frames = [TdFrame(f.function or "??", f.file, f.line) for f in gr.frames if f.function != SIGNAL_FRAME]
        th = TdThread(f"goroutine {gr.goid}", str(gr.goid), 0, state=gr.wait_reason or gr.status,
                      native_id=str(gr.thread) if gr.thread is not None else None, created_by=gr.created_by,
                      frames=frames)
        if gr.mutex is not None:
            depth = next((i for i, f in enumerate(frames) if f.function == "sync.(*Mutex).lockSlow"), 0)
            th.locks.append(LockRef(f"0x{gr.mutex:x}", "sync.Mutex", "waiting_to_lock", depth))
        threads.append(th)
        native = by_tid.get(gr.thread) if gr.thread is not None else None
        if native is not None and not native.name:
            native.name = f"goroutine {gr.goid}"
        if gr.panic is not None and native is not None and native.crashed and not crash.cause.headline:
            app = next((f for f in gr.frames if f.function and not f.function.startswith(("runtime.", "<"))), None)
            where = f" in {app.function} at {os.path.basename(app.file or '?')}:{app.line}" if app else ""
            crash.cause.headline = f"Go panic: {gr.panic} — goroutine {gr.goid}{where}"
            crash.cause.message = gr.panic
    return DumpRecord("go", 0, f"goroutines of {os.path.basename(exe)} (from the core)", threads=threads)
