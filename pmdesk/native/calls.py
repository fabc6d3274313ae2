"""The target of the call instruction before a return address, read from the process's code: x86-64
`call rel32` and aarch64 `bl`, followed through a PLT stub (x86-64 `jmp *GOT(%rip)`, with or without
`endbr64; bnd`; aarch64 `adrp x16; ldr x17, [x16, #off]; add; br x17`) to the address its GOT slot holds."""

from __future__ import annotations

import struct
from typing import Protocol


class Readable(Protocol):
    def read(self, addr: int, n: int) -> bytes | None: ...

    def u64(self, addr: int) -> int | None: ...


MASK = (1 << 64) - 1


def direct_call_target(machine: str, memory: Readable, return_pc: int) -> int | None:
    if machine == "EM_X86_64":
        code = memory.read(return_pc - 5, 5)
        if code is None or code[0] != 0xE8:
            return None
        target = (return_pc + struct.unpack_from("<i", code, 1)[0]) & MASK
        return _x86_plt(memory, target) or target
    if machine == "EM_AARCH64":
        code = memory.read(return_pc - 4, 4)
        if code is None:
            return None
        insn, = struct.unpack("<I", code)
        if insn >> 26 != 0b100101:  # BL imm26
            return None
        target = (return_pc - 4 + _signed(insn & 0x3FFFFFF, 26) * 4) & MASK
        return _arm64_plt(memory, target) or target
    return None


def _x86_plt(memory: Readable, at: int) -> int | None:
    code = memory.read(at, 11)
    if code is None:
        return None
    skip = 4 if code[:4] == b"\xf3\x0f\x1e\xfa" else 0  # endbr64
    if code[skip:skip + 1] == b"\xf2":  # bnd prefix
        skip += 1
    if code[skip:skip + 2] != b"\xff\x25" or len(code) < skip + 6:
        return None
    next_insn = at + skip + 6
    slot = (next_insn + struct.unpack_from("<i", code, skip + 2)[0]) & MASK
    return memory.u64(slot)


def _arm64_plt(memory: Readable, at: int) -> int | None:
    code = memory.read(at, 8)
    if code is None:
        return None
    adrp, ldr = struct.unpack("<II", code)
    if adrp & 0x9F00001F != 0x90000010 or ldr & 0xFFC003FF != 0xF9400211:  # adrp x16; ldr x17, [x16, #imm]
        return None
    page = _signed(((adrp >> 5) & 0x7FFFF) << 2 | (adrp >> 29) & 3, 21) << 12
    slot = ((at & ~0xFFF) + page + ((ldr >> 10) & 0xFFF) * 8) & MASK
    return memory.u64(slot)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value
