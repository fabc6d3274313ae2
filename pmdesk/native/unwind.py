"""Unwinding a thread's stack over a process's memory: DWARF CFI of the image holding each pc (through
signal trampolines), else the frame-pointer chain, else scanning the stack for a return address — each
frame says which (`context` for the registers themselves, then `cfi`, `frame_pointer`, `scan`).

The memory is any object with read(addr, n) -> bytes | None, u64(addr) -> int | None and executable(addr)
(an ELF core's segments and mapped files, a minidump's memory list…); images are looked up by address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pmdesk.native.arch import DWARF_REGS, FP, LINK_REGISTER, PC, PPC64_LR_SAVE, SP, X86, word_bytes
from pmdesk.native.image import Image

MAX_FRAMES = 100_000  # a stack overflow's recursion: gdb prints every frame, so does pmdesk
MAX_GUESSED = 256  # frames found by frame pointer or scanning: beyond that, a walk through garbage
SCAN_WORDS = 512
WORD = (1 << 64) - 1
BINARY_OPS = {  # DWARF expression operators on two operands (a .plt's CFA: rsp + 8 + ((rip & 15) >= 11) << 3)
    "DW_OP_plus": lambda a, b: a + b, "DW_OP_minus": lambda a, b: a - b, "DW_OP_mul": lambda a, b: a * b,
    "DW_OP_and": lambda a, b: a & b, "DW_OP_or": lambda a, b: a | b, "DW_OP_xor": lambda a, b: a ^ b,
    "DW_OP_shl": lambda a, b: a << b if b < 64 else 0, "DW_OP_shr": lambda a, b: a >> b,
    "DW_OP_ge": lambda a, b: int(a >= b), "DW_OP_gt": lambda a, b: int(a > b), "DW_OP_le": lambda a, b: int(a <= b),
    "DW_OP_lt": lambda a, b: int(a < b), "DW_OP_eq": lambda a, b: int(a == b), "DW_OP_ne": lambda a, b: int(a != b),
}


# the x86-64 kernel's rt_sigframe: a handler returns into its restorer with the stack pointer at the
# ucontext, whose uc_mcontext (a struct sigcontext) follows uc_flags, uc_link and uc_stack (8 + 8 + 24 bytes)
UCONTEXT_MCONTEXT = 40
SIGCONTEXT = {  # the general registers a struct sigcontext holds, in order (arm64's from its regs[] on)
    "EM_X86_64": ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax",
                  "rcx", "rsp", "rip"),
    "EM_AARCH64": (*(f"x{i}" for i in range(31)), "sp", "pc"),
}
# arm64: `mov x8, #139; svc #0` (rt_sigreturn), the trampoline a handler returns to; the rt_sigframe at the
# stack pointer holds a siginfo (128 bytes), then the ucontext whose uc_mcontext is 16-aligned at 176 (after
# uc_flags, uc_link, uc_stack and the 128-byte signal mask area), its regs[] after the 8-byte fault_address
AARCH64_RT_SIGRETURN = bytes.fromhex("681180d2010000d4")
AARCH64_SIGCONTEXT_REGS = 128 + 176 + 8
GO_SIGRETURN = ("runtime.sigreturn__sigaction", "runtime.sigreturn")  # Go's restorers (sys_linux_amd64.s;
# the symbol has its ABI's suffix, runtime.sigreturn.abi0, in Go 1.17+)


def _symbol(mod: Image, pc: int) -> str | None:
    """The ELF symbol holding pc, without Go's ABI suffix."""
    try:
        name = mod.symbols.lookup(pc - mod.bias)
    except (ValueError, OSError):
        return None
    return name.removesuffix(".abi0") if name else None


def _is_go_sigreturn(mod: Image, pc: int) -> bool:
    """Whether pc is the start of the Go runtime's signal restorer (a handler's return address)."""
    return _symbol(mod, pc) in GO_SIGRETURN


class MemorySource(Protocol):
    def read(self, addr: int, n: int) -> bytes | None: ...

    def u64(self, addr: int) -> int | None: ...

    def executable(self, addr: int) -> bool: ...


class Unwinder:
    """Walks stacks of one process: `machine` is the ELF machine name, `image_at` finds the image at an address;
    `scan`: whether a frame neither CFI nor the frame chain explains is found by scanning the stack."""

    def __init__(self, machine: str, memory: MemorySource, image_at: Callable[[int], Image | None],
                 scan: bool = True) -> None:
        self.machine = machine
        self.memory = memory
        self.image_at = image_at
        self.scan = scan  # False: a walk with neither CFI nor a frame chain ends (perf's DWARF mode)
        self.ended = False  # whether the last walk reached the outermost frame (CFI says so), not a dead end
        self.last_cfa: int | None = None  # the CFA of the last CFI step
        self.word = word_bytes(machine)

    def _word(self, addr: int) -> int | None:
        """The pointer-sized word at addr (8 bytes, or 4 on a 32-bit machine)."""
        if self.word == 8:
            return self.memory.u64(addr)
        data = self.memory.read(addr, 4)
        return None if data is None else int.from_bytes(data, "little")

    def unwind(self, registers: dict[str, int], resumed: bool = False) -> list[tuple[int, str, bool, bool]]:
        """(pc, trust, caller, signal) for each physical frame of a thread, innermost first: `caller` when pc
        is a return address (looked up at pc - 1), `signal` for a signal trampoline's frame (the frame it
        interrupted has an exact pc). `resumed`: the registers are a context saved to be resumed (a
        goroutine's g.sched), whose pc is already a return address."""
        regs = dict(registers)
        pc_name, sp_name = PC[self.machine], SP[self.machine]
        names = DWARF_REGS[self.machine]
        frames: list[tuple[int, str, bool, bool]] = []
        self.ended = False
        how, caller = "context", resumed  # the first frame: the registers themselves
        last_sp = -1
        guessed = 0
        while len(frames) < MAX_FRAMES and guessed < MAX_GUESSED:
            pc = regs[pc_name]
            mod = self.image_at(pc)
            at = self._signal_return(mod, pc, regs[sp_name]) if caller else None
            if at is not None:  # returned into a signal trampoline without CFI: the interrupted registers
                context = self._sigcontext(at)
                frames.append((pc, how, caller, True))
                if context is None:
                    break
                regs, caller, how, last_sp = context, False, "cfi", -1
                continue
            got = self._cfi_step(mod, pc - 1 if caller else pc, regs, names) if mod is not None else None
            signal = isinstance(got, tuple) and got[1]
            frames.append((pc, how, caller, signal))
            if self.machine == "EM_PPC64" and len(frames) > 1 and self._word(regs[sp_name]) == 0:
                self.ended = True  # a zero back chain: the outermost frame (a thread's clone, _start), as gdb ends
                break
            step = got[0] if isinstance(got, tuple) else got
            how = "cfi"
            if step is None and not frames[1:] and self.machine in LINK_REGISTER:
                step = self._link_step(regs)  # the innermost frame without CFI: a leaf's caller is in the LR
                how = "frame_pointer"
            if step is None:
                step = self._fp_step(regs)
                how = "frame_pointer"
            if step is None and self.scan:
                step = self._scan_step(regs)
                how = "scan"
            if step is None and self.machine in X86 and not regs.get(FP[self.machine]) and (
                    mod is None or mod.cfi.row((pc - 1 if caller else pc) - mod.bias) is None):
                step = "end"  # no CFI and a zero frame pointer: the x86-64 ABI's end of the chain (process entry)
            if step == "end" and self.machine == "EM_AARCH64" and mod is not None and self.last_cfa is not None \
                    and _symbol(mod, pc) == "runtime.sigtramp":
                # Go's arm64 signal handler is the top of its CFI, but it was entered with the stack pointer at
                # the kernel's rt_sigframe (its CFA): the interrupted registers are there
                context = self._sigcontext(self.last_cfa + AARCH64_SIGCONTEXT_REGS)
                if context is not None:
                    frames.append((pc, "cfi", True, True))
                    regs, caller, how, last_sp = context, False, "cfi", -1
                    continue
            if step is None or step == "end":
                self.ended = step == "end"
                break
            guessed += how != "cfi"
            new_pc, new_sp = step.get(pc_name), step.get(sp_name)
            if not new_pc or new_sp is None or new_sp <= last_sp and how != "cfi" or new_pc < 0x1000:
                break
            if not signal and (new_sp < regs[sp_name] or (new_sp == regs[sp_name] and new_pc == pc)):
                break
            last_sp = new_sp
            regs = step
            # a signal frame interrupted its caller at an exact pc; so did a fault the Go runtime turned into a
            # call of runtime.sigpanic (the signal handler pushed the faulting pc as its return address)
            sigpanic = mod is not None and _symbol(mod, pc) == "runtime.sigpanic"
            caller = not signal and not sigpanic
            if sigpanic and self.machine in LINK_REGISTER:
                # on a link-register machine the handler set LR to the faulting pc and pushed the old LR below
                # the faulting frame's stack pointer (preparePanic: 16 bytes on arm64): take both back
                pushed = self._word(regs[sp_name])
                if pushed is not None:
                    regs = {**regs, LINK_REGISTER[self.machine]: pushed, sp_name: regs[sp_name] + 16}
        return frames

    def _signal_return(self, mod: Image | None, pc: int, sp: int) -> int | None:
        """Where the interrupted registers are when a return address is a signal trampoline without CFI: the
        kernel's (or qemu-user's) arm64 rt_sigreturn (known by its instructions, as gdb's aarch64-linux-tdep
        finds it: the rt_sigframe at the stack pointer), or the Go runtime's x86-64 restorer (the kernel's
        ucontext at the stack pointer); None for any other address."""
        if self.machine == "EM_AARCH64" and self.memory.read(pc, 8) == AARCH64_RT_SIGRETURN:
            return sp + AARCH64_SIGCONTEXT_REGS
        if self.machine == "EM_X86_64" and mod is not None and _is_go_sigreturn(mod, pc):
            return sp + UCONTEXT_MCONTEXT
        return None

    def _sigcontext(self, at: int) -> dict[str, int] | None:
        """The general registers of the machine's `struct sigcontext` (the kernel's uapi asm/sigcontext.h) at
        `at`, in SIGCONTEXT's order; None when unreadable or without a pc and stack pointer."""
        names = SIGCONTEXT[self.machine]
        raw = self.memory.read(at, 8 * len(names))
        if raw is None:
            return None
        regs = {name: int.from_bytes(raw[8 * i:8 * i + 8], "little") for i, name in enumerate(names)}
        return regs if regs[PC[self.machine]] and regs[SP[self.machine]] else None

    def _cfi_step(self, mod: Image, lookup_pc: int, regs: dict[str, int], names: dict[int, str]) -> Any:
        got = mod.cfi.row(lookup_pc - mod.bias)
        if got is None:
            return None
        row, ra_reg, signal = got
        cfa_rule = row["cfa"]
        if cfa_rule.expr is not None:  # a signal frame's CFA: read from the saved context
            cfa = self._expression(mod.cfi.ops(cfa_rule.expr), None, regs, names)
            if cfa is None:
                return None
        elif cfa_rule.reg in names and names[cfa_rule.reg] in regs:
            cfa = regs[names[cfa_rule.reg]] + cfa_rule.offset
        else:
            return None
        self.last_cfa = cfa
        new = dict(regs)
        for reg, rule in row.items():
            if not isinstance(reg, int) or reg not in names:
                continue
            kind = rule.type
            if kind == "OFFSET":
                v = self._word(cfa + rule.arg)
                if v is None:  # a saved register out of reach is unknown in the caller; its return address ends it
                    if reg == ra_reg:
                        return None
                    new.pop(names[reg], None)
                    continue
                new[names[reg]] = v
            elif kind == "VAL_OFFSET":
                new[names[reg]] = cfa + rule.arg
            elif kind == "REGISTER" and rule.arg in names and names[rule.arg] in regs:
                new[names[reg]] = regs[names[rule.arg]]
            elif kind == "UNDEFINED":
                if reg == ra_reg:
                    return "end"  # the outermost frame (_start, clone)
                new.pop(names[reg], None)
            elif kind in ("EXPRESSION", "VAL_EXPRESSION"):
                v = self._expression(mod.cfi.ops(rule.arg), cfa, regs, names)
                if v is None:
                    return None
                if kind == "EXPRESSION":
                    v = self._word(v)
                    if v is None:
                        return None
                new[names[reg]] = v
        if ra_reg not in row:
            if self.machine in X86:  # x86 CIEs always save the return address; missing = end
                return "end"
            new[PC[self.machine]] = regs.get(names.get(ra_reg, ""), 0)
        else:
            new[PC[self.machine]] = new.get(names[ra_reg], 0) if names.get(ra_reg) != PC[self.machine] \
                else new[PC[self.machine]]
        if not (signal and SP[self.machine] in {names.get(r) for r in row if isinstance(r, int)}):
            new[SP[self.machine]] = cfa
        return new, signal

    def _expression(self, expr: list[Any], cfa: int | None, regs: dict[str, int],
                    names: dict[int, str]) -> int | None:
        """The DWARF expressions CFI uses (a signal frame's saved registers: breg + offset, deref). A register
        rule's expression starts with the CFA pushed; the CFA's own starts empty."""
        stack = [] if cfa is None else [cfa]
        for op in expr:
            name, args = op.op_name, op.args
            if name.startswith("DW_OP_breg"):
                r = int(name[len("DW_OP_breg"):])
                if names.get(r) not in regs:
                    return None
                stack.append(regs[names[r]] + args[0])
            elif name == "DW_OP_deref":
                v = self._word(stack.pop())
                if v is None:
                    return None
                stack.append(v)
            elif name == "DW_OP_plus_uconst":
                stack.append(stack.pop() + args[0])
            elif name.startswith("DW_OP_const"):
                stack.append(args[0])
            elif name.startswith("DW_OP_lit"):
                stack.append(int(name[len("DW_OP_lit"):]))
            elif name in BINARY_OPS and len(stack) >= 2:
                b, a = stack.pop(), stack.pop()
                stack.append(BINARY_OPS[name](a, b) & WORD)
            else:
                return None
        return stack[-1] if stack else None

    def _link_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        """The caller of an innermost frame CFI does not cover, on an architecture with a link register: its
        return address is the LR (a leaf function saves no frame record; the one at the frame pointer is its
        caller's), the stack and frame pointers as they are — as gdb and eu-stack take it. Not when the LR is
        the return address the frame record holds already (a function that saved its record: the frame
        chain is right)."""
        lr = regs.get(LINK_REGISTER[self.machine])
        fp = regs.get(FP.get(self.machine, ""))
        if not lr or (not self.memory.executable(lr) and self.image_at(lr) is None):
            return None
        if fp and fp % 8 == 0 and self._word(fp + 8) == lr:
            return None
        new = dict(regs)
        new[PC[self.machine]] = lr
        return new

    def _fp_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        if self.machine not in FP:
            return self._back_chain_step(regs) if self.machine == "EM_PPC64" else None
        fp = regs.get(FP[self.machine])
        w = self.word
        if not fp or fp % w:
            return None
        saved_fp, ra = self._word(fp), self._word(fp + w)
        if ra is None or saved_fp is None or not self.memory.executable(ra) and self.image_at(ra) is None:
            return None
        new = dict(regs)
        new[FP[self.machine]] = saved_fp
        new[PC[self.machine]] = ra
        new[SP[self.machine]] = fp + 2 * w
        return new

    def _back_chain_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        """ppc64's frame chain: the caller's stack pointer is the first word of this frame, and the return
        address into it lies in the caller's frame, PPC64_LR_SAVE bytes in (where this function saved it)."""
        sp = regs.get(SP[self.machine])
        caller_sp = self._word(sp) if sp and sp % 8 == 0 else None
        if not caller_sp or caller_sp <= sp:
            return None
        ra = self._word(caller_sp + PPC64_LR_SAVE)
        if ra is None or not self.memory.executable(ra) and self.image_at(ra) is None:
            return None
        new = dict(regs)
        new[PC[self.machine]] = ra
        new[SP[self.machine]] = caller_sp
        return new

    def _scan_step(self, regs: dict[str, int]) -> dict[str, int] | None:
        sp = regs[SP[self.machine]]
        for i in range(1, SCAN_WORDS):
            addr = sp + self.word * i
            v = self._word(addr)
            if v is None:
                return None
            if self.image_at(v) is not None and self._after_call(v):
                new = dict(regs)
                new[PC[self.machine]] = v
                new[SP[self.machine]] = addr + self.word
                return new
        return None

    def _after_call(self, addr: int) -> bool:
        if self.machine not in X86:
            return self.memory.executable(addr)
        before = self.memory.read(addr - 5, 5)
        if before is not None and before[0] == 0xE8:
            return True
        before = self.memory.read(addr - 2, 2)
        return before is not None and before[0] == 0xFF and (before[1] >> 3) & 7 == 2
