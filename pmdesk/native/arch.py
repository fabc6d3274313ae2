"""Architecture facts the unwinder and symbolizer need, by ELF machine name: which register is the program
counter, the stack pointer, the frame pointer and the link register, and DWARF's register numbering (System V
psABI for x86-64 and i386, "DWARF for the Arm 64-bit Architecture" for aarch64, the 64-bit ELF V2 ABI for
ppc64le) and the pointer size."""

from __future__ import annotations

PC = {"EM_X86_64": "rip", "EM_AARCH64": "pc", "EM_PPC64": "nip", "EM_386": "eip"}
SP = {"EM_X86_64": "rsp", "EM_AARCH64": "sp", "EM_PPC64": "r1", "EM_386": "esp"}
FP = {"EM_X86_64": "rbp", "EM_AARCH64": "x29", "EM_386": "ebp"}  # ppc64 has none: frames chain through the stack
WORD_BYTES = {"EM_386": 4}  # a pointer's size where it is not 8
X86 = ("EM_X86_64", "EM_386")  # call pushes the return address; CIEs always save it
LINK_REGISTER = {"EM_AARCH64": "x30", "EM_PPC64": "lr"}  # where a call leaves its return address (x86-64: stack)
# ppc64 (ELFv2 ABI): each frame's first word is the caller's stack pointer (the back chain); a function saves
# its return address in its caller's frame, this many bytes in
PPC64_LR_SAVE = 16
DWARF_REGS = {  # DWARF register number -> register name
    "EM_X86_64": {0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 6: "rbp", 7: "rsp",
                  **{i: f"r{i}" for i in range(8, 16)}, 16: "rip"},
    "EM_AARCH64": {**{i: f"x{i}" for i in range(31)}, 31: "sp", 32: "pc"},
    "EM_PPC64": {**{i: f"r{i}" for i in range(32)}, 65: "lr", 66: "ctr"},  # 64-bit PowerPC ELF ABI v2
    "EM_386": {0: "eax", 1: "ecx", 2: "edx", 3: "ebx", 4: "esp", 5: "ebp", 6: "esi", 7: "edi", 8: "eip"},  # i386 psABI
}


def word_bytes(machine: str) -> int:
    """The size of a pointer on `machine`."""
    return WORD_BYTES.get(machine, 8)
