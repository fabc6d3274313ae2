"""Architecture facts the unwinder and symbolizer need, by ELF machine name: which register is the program
counter, the stack pointer, the frame pointer and the link register, and DWARF's register numbering (System V
psABI for x86-64, "DWARF for the Arm 64-bit Architecture" for aarch64)."""

from __future__ import annotations

PC = {"EM_X86_64": "rip", "EM_AARCH64": "pc"}
SP = {"EM_X86_64": "rsp", "EM_AARCH64": "sp"}
FP = {"EM_X86_64": "rbp", "EM_AARCH64": "x29"}
LINK_REGISTER = {"EM_AARCH64": "x30"}  # where a call leaves its return address (x86-64: on the stack)
DWARF_REGS = {  # DWARF register number -> register name
    "EM_X86_64": {0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 6: "rbp", 7: "rsp",
                  **{i: f"r{i}" for i in range(8, 16)}, 16: "rip"},
    "EM_AARCH64": {**{i: f"x{i}" for i in range(31)}, 31: "sp", 32: "pc"},
}
