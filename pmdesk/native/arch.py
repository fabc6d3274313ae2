"""Architecture facts the unwinder and symbolizer need, by ELF machine name: which register is the program
counter, the stack pointer, the frame pointer and the link register, and DWARF's register numbering (System V
psABI for x86-64, "DWARF for the Arm 64-bit Architecture" for aarch64, the 64-bit ELF V2 ABI for ppc64le)."""

from __future__ import annotations

PC = {"EM_X86_64": "rip", "EM_AARCH64": "pc", "EM_PPC64": "nip"}
SP = {"EM_X86_64": "rsp", "EM_AARCH64": "sp", "EM_PPC64": "r1"}
FP = {"EM_X86_64": "rbp", "EM_AARCH64": "x29"}  # ppc64 has none: its frames are chained through the stack
LINK_REGISTER = {"EM_AARCH64": "x30", "EM_PPC64": "lr"}  # where a call leaves its return address (x86-64: stack)
# ppc64 (ELFv2 ABI): each frame's first word is the caller's stack pointer (the back chain); a function saves
# its return address in its caller's frame, this many bytes in
PPC64_LR_SAVE = 16
DWARF_REGS = {  # DWARF register number -> register name
    "EM_X86_64": {0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 6: "rbp", 7: "rsp",
                  **{i: f"r{i}" for i in range(8, 16)}, 16: "rip"},
    "EM_AARCH64": {**{i: f"x{i}" for i in range(31)}, 31: "sp", 32: "pc"},
    "EM_PPC64": {**{i: f"r{i}" for i in range(32)}, 65: "lr", 66: "ctr"},  # 64-bit PowerPC ELF ABI v2
}
