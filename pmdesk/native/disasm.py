"""Disassembly of a core's code (capstone): instructions around an address, and whether the instruction at
a faulting pc read or wrote memory — what turns "SIGSEGV at 0x4" into "NULL pointer write"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ARCHES = ("EM_X86_64", "EM_AARCH64", "EM_386", "EM_ARM")
WORDS = {"amd64": "EM_X86_64", "x86_64": "EM_X86_64", "arm64": "EM_AARCH64", "aarch64": "EM_AARCH64",
         "x86": "EM_386", "arm": "EM_ARM"}  # the words reports and minidumps use for the architecture


def _capstone(machine: str, detail: bool = False) -> Any:
    """A capstone disassembler (imported on first use: a core's stack needs none)."""
    import capstone

    arch = {"EM_X86_64": (capstone.CS_ARCH_X86, capstone.CS_MODE_64),
            "EM_AARCH64": (capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM),
            "EM_386": (capstone.CS_ARCH_X86, capstone.CS_MODE_32),
            # 32-bit arm as Linux and Android build it: Thumb-2 (armhf's default instruction set)
            "EM_ARM": (capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)}[machine]
    md = capstone.Cs(*arch)
    md.detail = detail
    return md


@dataclass
class Instruction:
    address: int
    size: int
    text: str


def disassemble(machine: str, code: bytes, address: int, count: int = 64) -> list[Instruction]:
    """Up to `count` instructions of `code` at `address`; `machine` an ELF machine name or a report's word
    for it ('amd64', 'arm64', 'x86')."""
    machine = WORDS.get(machine, machine)
    if machine not in ARCHES:
        return []
    md = _capstone(machine)
    return [Instruction(i.address, i.size, f"{i.mnemonic} {i.op_str}".strip())
            for i in md.disasm(code, address, count)]


def memory_operand(machine: str, code: bytes, address: int,
                   registers: dict[str, int]) -> tuple[str | None, int | None]:
    """(access, address) of the memory operand of the instruction at `address`: 'read' or 'write', and the
    address it names worked out from the registers (None for what cannot be known)."""
    if machine not in ("EM_X86_64", "EM_AARCH64"):
        return None, None
    import capstone

    md = _capstone(machine, detail=True)
    for insn in md.disasm(code, address, 1):
        if machine == "EM_X86_64":
            for op in insn.operands:
                if op.type == capstone.x86.X86_OP_MEM:
                    access = "write" if op.access & capstone.CS_AC_WRITE else \
                        "read" if op.access & capstone.CS_AC_READ else None
                    return access, _x86_address(insn, op, registers)
        else:
            for op in insn.operands:
                if op.type == capstone.arm64.ARM64_OP_MEM:
                    return _arm64_access(insn.mnemonic), _arm64_address(insn, op, registers)
    return None, None


def _reg(insn: Any, reg: int, registers: dict[str, int]) -> int | None:
    name = insn.reg_name(reg)
    if name in registers:
        return registers[name]
    if name and name.startswith("w") and f"x{name[1:]}" in registers:  # aarch64 32-bit view
        return registers[f"x{name[1:]}"] & 0xFFFF_FFFF
    return None


def _x86_address(insn: Any, op: Any, registers: dict[str, int]) -> int | None:
    mem = op.mem
    total = mem.disp
    if mem.base:
        base = insn.address + insn.size if insn.reg_name(mem.base) == "rip" else _reg(insn, mem.base, registers)
        if base is None:
            return None
        total += base
    if mem.index:
        index = _reg(insn, mem.index, registers)
        if index is None:
            return None
        total += index * mem.scale
    if mem.segment:
        seg = registers.get(f"{insn.reg_name(mem.segment)}_base")
        if seg is None:
            return None
        total += seg
    return total & 0xFFFF_FFFF_FFFF_FFFF


ARM64_SXTW = 7
ARM64_STORES = ("st", "cas", "swp", "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin")


def _arm64_access(mnemonic: str) -> str | None:
    # capstone marks a load with base writeback as read+write, so the mnemonic decides
    if mnemonic.startswith(ARM64_STORES):
        return "write"
    return "read" if mnemonic.startswith("ld") else None


def _arm64_address(insn: Any, op: Any, registers: dict[str, int]) -> int | None:
    mem = op.mem
    base = _reg(insn, mem.base, registers) if mem.base else 0
    if base is None:
        return None
    total = base + mem.disp
    if mem.index:
        index = _reg(insn, mem.index, registers)
        if index is None:
            return None
        if op.ext == ARM64_SXTW and index & 0x8000_0000:
            index -= 1 << 32
        total += index << (op.shift.value if op.shift.type else 0)
    return total & 0xFFFF_FFFF_FFFF_FFFF
