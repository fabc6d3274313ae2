"""What a tombstone holds, in either form (the text debuggerd writes, the tombstone.proto message), before it
becomes the crash model: the process and signal, each thread's registers and backtrace frames (pc relative to
the ELF, the file, the function as the device named it, the BuildId), the memory map, logcat, open files."""

from __future__ import annotations

from dataclasses import dataclass, field

# the tombstone.proto Architecture enum, and the ABI words the text form prints
ARCHES = {0: "arm", 1: "arm64", 2: "x86", 3: "x86_64", 4: "riscv64", 5: "none"}


@dataclass
class TFrame:
    rel_pc: int                       # pc relative to the ELF file's load bias (as libunwindstack gives it)
    file: str                         # the mapped file ('/system/lib64/libc.so', '…/base.apk')
    pc: int | None = None             # the absolute pc, when the tombstone gives it (the proto form)
    function: str | None = None       # as the device named it (already demangled)
    function_offset: int | None = None
    build_id: str | None = None
    file_map_offset: int | None = None  # '(offset 0x…)': where in the file the ELF starts (an APK)


HEAP_STACK_TID = -2  # the first allocation/deallocation stack of a memory error; the next ones count down


@dataclass
class TThread:
    tid: int
    name: str | None = None
    registers: dict[str, int] = field(default_factory=dict)
    frames: list[TFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the backtrace's NOTE: lines


@dataclass
class TMapping:
    start: int
    end: int                          # first address past it
    offset: int                       # file offset
    perms: str                        # 'r-x'
    name: str = ""
    build_id: str | None = None


@dataclass
class Tomb:
    facts: list[tuple[str, str]] = field(default_factory=list)  # header lines as the tombstone words them
    abi: str | None = None
    pid: int | None = None
    tid: int | None = None
    command: str | None = None
    signal: int | None = None
    signal_name: str | None = None
    code: int | None = None
    code_name: str | None = None
    fault_address: int | None = None
    abort_message: str | None = None
    causes: list[str] = field(default_factory=list)
    threads: list[TThread] = field(default_factory=list)
    heap_stacks: list[TThread] = field(default_factory=list)  # GWP-ASan/Scudo/MTE: who allocated, who freed
    mappings: list[TMapping] = field(default_factory=list)
    log: list[str] = field(default_factory=list)          # logcat lines, as `logcat -v threadtime` prints them
    open_files: list[str] = field(default_factory=list)
    timestamp: str | None = None
    fingerprint: str | None = None
    problems: list[str] = field(default_factory=list)

    def heap_stack(self, deallocation: bool, tid: int) -> TThread:
        """A new allocation or deallocation stack of a memory error (a thread of its own in the crash model)."""
        t = TThread(HEAP_STACK_TID - len(self.heap_stacks), f"{'Deallocated' if deallocation else 'Allocated'} "
                    f"by thread {tid}")
        self.heap_stacks.append(t)
        return t

    @property
    def android_version(self) -> int | None:
        """The Android release from the build fingerprint ('google/…/emu64a:16/BE4B…' → 16)."""
        fp = self.fingerprint or ""
        head = fp.split(":", 1)[1] if ":" in fp else ""
        release = head.split("/", 1)[0].split(".", 1)[0]
        return int(release) if release.isdigit() else None
