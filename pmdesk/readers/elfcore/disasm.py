"""Disassembly of a core's code (capstone): instructions around an address, and whether the instruction at
a faulting pc read or wrote memory — what turns "SIGSEGV at 0x4" into "NULL pointer write"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ARCHES = ("EM_X86_64", "EM_AARCH64")


def _capstone(machine: str, detail: bool = False) -> Any:
    """A capstone disassembler (imported on first use: a core's stack needs none)."""
    import capstone

    arch = {"EM_X86_64": (capstone.CS_ARCH_X86, capstone.CS_MODE_64),
            "EM_AARCH64": (capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)}[machine]
    md = capstone.Cs(*arch)
    md.detail = detail
    return md


@dataclass
class Instruction:
    address: int
    size: int
    text: str


def disassemble(machine: str, code: bytes, address: int, count: int = 64) -> list[Instruction]:
    if machine not in ARCHES:
        return []
    md = _capstone(machine)
    return [Instruction(i.address, i.size, f"{i.mnemonic} {i.op_str}".strip())
            for i in md.disasm(code, address, count)]


def memory_access(machine: str, code: bytes, address: int) -> str | None:
    """'read' or 'write' for the memory operand of the instruction at address (None when unknown)."""
    if machine not in ARCHES:
        return None
    import capstone

    md = _capstone(machine, detail=True)
    for insn in md.disasm(code, address, 1):
        mem = capstone.x86.X86_OP_MEM if machine == "EM_X86_64" else capstone.arm64.ARM64_OP_MEM
        for op in insn.operands:
            if op.type == mem:
                if op.access & capstone.CS_AC_WRITE:
                    return "write"
                if op.access & capstone.CS_AC_READ:
                    return "read"
    return None
