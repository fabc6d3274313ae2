"""The crash model: what a native crash holds, whatever wrote it — an ELF core, and next an Apple crash report,
an Android tombstone, a minidump. A crash reader builds a `Crash`; readers/crash_rows.py stores it in the
crash_* tables of the index (index/schema/crash.sql); model/crash reads it back for the crash docks and
`pmdesk stack`. It lives in base because readers fill it and the model reads it: plain data, no behaviour.

Addresses are unsigned 64-bit integers, sizes are in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How a frame was found, most trustworthy first (rust-minidump's and Breakpad's words where they have them):
# context — the thread's registers themselves (the innermost frame); cfi — unwound by call-frame information
# (DWARF CFI, a .sym file's STACK CFI or STACK WIN program); leaf — a Windows leaf function's return simulated;
# frame_pointer — by following frame pointers; cfi_scan — a STACK WIN program's return address corrected by a
# scan; scan — a return address found by scanning the stack (a guess); symbolicated-by-report — the report
# gives the frame as it is (an Apple report, a tombstone).
TRUST = ("context", "cfi", "leaf", "frame_pointer", "cfi_scan", "scan", "symbolicated-by-report")
LAST_EXCEPTION_TID = -1  # an Apple report's Last Exception Backtrace: the stack that threw, as a thread of its own


def frame_name(f: Frame) -> str:
    """A frame's function as reports print it ('start + 462' when the report gives the offset), else where it
    is ('CrashingTest + 15941'), else '??'."""
    if f.function:
        return f.function + (f" + {f.symbol_offset}" if f.symbol_offset is not None and not f.file else "")
    if f.module and f.module_offset is not None:
        return f"{f.module.rsplit('/', 1)[-1]} + {f.module_offset}"
    return "??"


def is_apple_system_image(path: str | None) -> bool:
    """An image of Apple's OS (its frameworks, libSystem, the Swift runtime, dyld), not the app's own code."""
    p = path or ""
    return p.startswith(("/System/", "/usr/lib/system/", "/usr/lib/swift/")) or (
        p.startswith("/usr/lib/") and (p.endswith(".dylib") or p == "/usr/lib/dyld"))


@dataclass
class Frame:
    """One frame of a thread's stack, innermost first. An inlined function gets a frame of its own, with the
    pc of the physical frame it was inlined into (the frames after it, up to a non-inlined one, share it)."""

    pc: int                            # the frame's address; for callers, the return address
    module: str | None = None          # the module as the report names it
    module_offset: int | None = None   # pc - the module's load bias
    function: str | None = None
    file: str | None = None
    line: int | None = None
    inlined: bool = False
    trust: str = "cfi"                 # one of TRUST
    symbol_offset: int | None = None   # pc - the function's start, when the report gives it ('start + 462')
    kind: str | None = None            # what ran there, when the report says (a JVM's: java-compiled, vm, native…)

    @property
    def how(self) -> str:
        """`pmdesk stack --json`'s older word for trust: cfi (the registers or CFI), fp or scan."""
        if self.trust in ("context", "cfi", "leaf"):
            return "cfi"
        return "fp" if self.trust == "frame_pointer" else "scan" if self.trust == "cfi_scan" else self.trust


@dataclass
class Thread:
    """A thread (or task) with its registers and stack."""

    tid: int
    name: str | None = None
    crashed: bool = False      # the thread that crashed (got the signal, raised the exception)
    current: bool = False      # in a snapshot of a live process (gcore), the thread the snapshot stopped
    signal: int | None = None  # the signal pending on this thread, as the dump records it
    queue: str | None = None   # the dispatch queue it ran (Apple)
    registers: dict[str, int] = field(default_factory=dict)  # general registers, in the architecture's order
    extra_registers: list[tuple[str, str]] = field(default_factory=list)  # floating-point/vector, as text
    frames: list[Frame] = field(default_factory=list)
    state: str | None = None   # as the report words it (a JVM's 'JavaThread daemon _thread_blocked')


@dataclass
class Module:
    """A loaded image (executable or library) and where pmdesk found its symbols."""

    name: str                        # as the dynamic linker or the report names it
    base: int                        # lowest address it occupies
    end: int                         # first address past it
    bias: int = 0                    # load bias: the address of the file's virtual address 0
    path: str | None = None          # the mapped file's path as the dump records it
    build_id: str | None = None      # identity: ELF build-id, Mach-O UUID, PE/Breakpad code id (hex)
    debug_id: str | None = None      # Breakpad/PDB debug identifier, when the format has one
    arch: str | None = None
    binary: str | None = None        # the binary pmdesk found for it on this machine
    debug_file: str | None = None    # the file its debug information came from
    symbols: bool = False            # whether symbols were found
    looked: list[str] = field(default_factory=list)  # where pmdesk looked, for the Modules dock
    warning: str | None = None       # e.g. a binary refused because its build-id differs


@dataclass
class Region:
    """A memory region of the process as the dump describes it."""

    start: int
    end: int
    perms: str = ""             # 'r-x', 'rw-', … ('' when unknown)
    present_bytes: int = 0      # bytes of it the dump holds
    name: str | None = None     # the file mapped there, or a label ([stack], [heap])


@dataclass
class Wait:
    """Thread `tid` waits for a lock that thread `owner` holds (deadlocks are the cycles of these)."""

    tid: int
    lock: int                   # the lock's address
    lock_name: str | None       # the data symbol at that address (a global mutex: lock_a), if any
    owner: int


@dataclass
class Cause:
    """What stopped the process: a signal or an exception, where it faulted, and what the process said."""

    signal: int | None = None
    signal_name: str | None = None     # 'SIGSEGV'
    code: int | None = None            # si_code, or the exception's code
    code_name: str | None = None       # 'SEGV_MAPERR'
    exception: str | None = None       # 'EXC_BAD_ACCESS', 'EXCEPTION_ACCESS_VIOLATION_READ'
    fault_address: int | None = None   # as the dump records it (None when it records none)
    fault_access: str | None = None    # 'read' | 'write' | 'execute', from the faulting instruction
    computed_address: int | None = None  # the address worked out from the instruction when none is recorded
    stack_overflow: bool = False       # the fault hit the stack's guard page
    message: str | None = None         # an abort or assertion message the process left
    headline: str | None = None        # the report's own one-line summary, when it has one


@dataclass
class Process:
    pid: int | None = None
    command: str | None = None      # the command line as recorded
    executable: str | None = None
    os: str | None = None
    arch: str | None = None         # ELF machine name (EM_X86_64, EM_AARCH64) or the report's own word
    time: str | None = None         # when it crashed, ISO 8601, as the report says
    version: str | None = None      # the application's version, when the report gives one
    os_version: str | None = None   # the OS's version words, when the dump gives them apart from `os`
    cpu_info: str | None = None     # the processor as the dump describes it ('GenuineIntel family 6 model 13 …')
    cpu_count: int | None = None


@dataclass
class Section:
    """A free-form part of the report shown as text (logcat, Application Specific Information, …)."""

    title: str
    text: str
    in_summary: bool = True  # shown in the Crash summary too (a report of dozens of parts lists them only in
    #                          Report sections)


@dataclass
class Problem:
    """Something wrong or missing in the dump, met while reading it (becomes a diagnostic of the index)."""

    code: str          # stable machine name, e.g. 'core.truncated'
    severity: str      # 'info' | 'warning' | 'error'
    message: str


@dataclass
class Crash:
    process: Process = field(default_factory=Process)
    cause: Cause = field(default_factory=Cause)
    threads: list[Thread] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    snapshot: bool = False  # a snapshot of a live process (gcore): nothing crashed
    problems: list[Problem] = field(default_factory=list)

    @property
    def crashed_thread(self) -> Thread | None:
        """The thread that crashed — in a snapshot, the thread it stopped."""
        return next((t for t in self.threads if t.crashed or t.current), None)

    def thread(self, tid: int | None) -> Thread | None:
        return next((t for t in self.threads if t.tid == tid), None)
