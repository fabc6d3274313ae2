"""CPU contexts of a minidump's threads as register dicts: amd64 (CONTEXT_AMD64), x86 (CONTEXT_X86), arm64
(Windows' CONTEXT_ARM64, and Breakpad's older layout with a 64-bit flags word), 32-bit arm (MDRawContextARM).
Layouts from Breakpad's src/google_breakpad/common/minidump_cpu_{amd64,x86,arm64,arm}.h; the context's size
says which arm64 layout it is."""

from __future__ import annotations

import struct

ARM64_SIZE = 912
ARM64_OLD_SIZE = 800
AMD64_REGS = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", *(f"r{i}" for i in range(8, 16)), "rip")
X86_REGS = ("edi", "esi", "ebx", "edx", "ecx", "eax", "ebp", "eip", "cs", "eflags", "esp", "ss")
ARM64_REGS = (*(f"x{i}" for i in range(29)), "x29", "x30", "sp", "pc")
ARM_REGS = (*(f"r{i}" for i in range(13)), "sp", "lr", "pc")


def registers(raw: bytes, cpu: str) -> dict[str, int]:
    """The general registers of a context, in the architecture's order ({} for a context pmdesk cannot read)."""
    if cpu == "amd64" and len(raw) >= 256:
        values = struct.unpack_from("<17Q", raw, 120)
        regs = dict(zip(AMD64_REGS, values, strict=True))
        regs["eflags"] = struct.unpack_from("<I", raw, 68)[0]
        return {**{k: regs[k] for k in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp")},
                **{f"r{i}": regs[f"r{i}"] for i in range(8, 16)}, "rip": regs["rip"], "eflags": regs["eflags"]}
    if cpu == "arm" and len(raw) >= 4 + 16 * 4 + 4:  # MDRawContextARM: flags, r0-r15, cpsr, then VFP state
        regs = dict(zip(ARM_REGS, struct.unpack_from("<16I", raw, 4), strict=True))
        regs["cpsr"] = struct.unpack_from("<I", raw, 68)[0]
        return regs
    if cpu == "x86" and len(raw) >= 204:
        return dict(zip(X86_REGS, struct.unpack_from("<12I", raw, 156), strict=True))
    if cpu == "arm64" and len(raw) >= 8 + 33 * 8:
        flags = struct.unpack_from("<I", raw)[0]
        if len(raw) == ARM64_OLD_SIZE or flags & 0x80000000 and len(raw) < ARM64_SIZE:  # Breakpad's old layout
            values = struct.unpack_from("<33Q", raw, 8)
            cpsr = struct.unpack_from("<I", raw, 8 + 33 * 8 + 32 * 16 + 8)[0] if len(raw) >= 8 + 33 * 8 + 532 else 0
        else:
            cpsr = struct.unpack_from("<I", raw, 4)[0]
            values = struct.unpack_from("<33Q", raw, 8)
        regs = dict(zip(ARM64_REGS, values, strict=True))
        regs["cpsr"] = cpsr
        return regs
    return {}
