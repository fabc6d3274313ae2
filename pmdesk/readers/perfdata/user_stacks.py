"""`perf record --call-graph dwarf` samples unwound: each sample's user registers (REGS_USER, in the order of
the attr's sample_regs_user bits — arch/x86/include/uapi/asm/perf_regs.h, arch/arm64/include/uapi/asm/
perf_regs.h) and the copy of its user stack (STACK_USER, `dyn_size` bytes from the stack pointer) walked with
the binaries' DWARF CFI by native/unwind.py, frame pointers where a module has none — as perf's libunwind
walk does (no stack scanning: a walk that runs out of CFI, frame chain or copied stack ends there)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np

from pmdesk.native.arch import PC, SP
from pmdesk.native.image import Image
from pmdesk.native.unwind import Unwinder

PERF_REGS = {  # perf_regs.h bit -> the register's name as native/arch.py spells it
    "EM_X86_64": ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "rip", "eflags", "cs", "ss", "ds", "es",
                  "fs", "gs", *(f"r{i}" for i in range(8, 16))],
    "EM_AARCH64": [*(f"x{i}" for i in range(31)), "sp", "pc"],
}
MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64", "arm64": "EM_AARCH64"}
ABI_64 = 2
DEAD_END = 0  # stands for perf's 0 - 1 (no mapping holds either: both are named [unknown]); -1 itself would read
#              as a call-chain context marker
MAX_USER_FRAMES = 127  # perf report/script's --max-stack default (PERF_MAX_STACK_DEPTH)


class StackCopy:
    """The bytes of a sample's user stack from its stack pointer: all the memory a DWARF-mode walk reads."""

    def __init__(self, base: int, data: bytes, big: bool, executable: Callable[[int], bool]) -> None:
        self.base, self.data, self._executable = base, data, executable
        self._fmt = ">Q" if big else "<Q"

    def read(self, addr: int, n: int) -> bytes | None:
        off = addr - self.base
        return self.data[off:off + n] if 0 <= off and off + n < len(self.data) else None

    def u64(self, addr: int) -> int | None:
        """The word at addr — as perf reads the copy: its last word is out of reach (`addr + 8 >= end`)."""
        off = addr - self.base
        return struct.unpack_from(self._fmt, self.data, off)[0] if 0 <= off < len(self.data) - 8 else None

    def executable(self, addr: int) -> bool:
        return self._executable(addr)


def registers(buf: np.ndarray, pos: int, mask: int, machine: str, big: bool) -> dict[str, int]:
    """A sample's user registers by name (those of the mask the arch names)."""
    names = PERF_REGS[machine]
    raw = buf[pos:pos + 8 * bin(mask).count("1")].view(">u8" if big else "<u8").tolist()
    out: dict[str, int] = {}
    k = 0
    for bit in range(64):
        if mask >> bit & 1:
            if bit < len(names):
                out[names[bit]] = raw[k]
            k += 1
    return out


def unwind_user(machine: str, regs: dict[str, int], stack: StackCopy,
                image_at: Callable[[int], Image | None]) -> list[int]:
    """The sample's user frames innermost first as lookup addresses: its pc, then each caller's return address
    less one (the call instruction's, as perf names them); a walk that ran into a dead end — most often the
    end of the copied stack — ends with an unknown frame, as perf's does (libunwind's frame-chain fallback
    reads a return address of 0 there, which perf decrements: perf script's `ffffffffffffffff [unknown]`)."""
    if PC[machine] not in regs or SP[machine] not in regs:
        return []
    unwinder = Unwinder(machine, stack, image_at, scan=False)
    walk = unwinder.unwind(regs)
    pcs = [pc - 1 if caller else pc for pc, _how, caller, _signal in walk[:MAX_USER_FRAMES]]
    if not unwinder.ended and 1 < len(pcs) < MAX_USER_FRAMES:  # (a walk stuck at its first frame: perf adds none)
        pcs.append(DEAD_END)
    return pcs
