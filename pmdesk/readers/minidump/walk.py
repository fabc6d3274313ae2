"""A minidump thread's stack walked as Breakpad's minidump_stackwalk walks it (processor/stackwalker_amd64.cc,
stackwalker_arm64.cc, stackwalker_x86.cc, cfi_frame_info.cc): from the context frame, each caller found by the
first rule that works —

- x86 only: the module's `STACK WIN` record (frame data program or FPO, with Breakpad's return-address search);
- CFI: the module's `STACK CFI` rules (a `.sym` file's, or a local binary's .eh_frame turned into the same
  rules), callee-saved registers kept when the rules do not mention them;
- the frame pointer (amd64 but never on Windows, where a context frame first gets a return simulated; arm64
  with the link register; x86 the words at ebp);
- a scan of the stack for a word pointing into code (160 words from the context frame, 40 after);

stopping where Breakpad stops (a pc below 4 KiB, a stack pointer that does not grow). Registers a step did not
recover keep the values Breakpad leaves in them (copied from the callee, or its 0xda fill after CFI), because
later steps read them as Breakpad does. Each frame says how it was found, in rust-minidump's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pmdesk.native.breakpad_sym import WinFrame
from pmdesk.native.postfix import evaluate, evaluate_value

MAX_FRAMES = 1024
SCAN_WORDS = 40           # Breakpad's kRASearchWords
CONTEXT_SCAN_WORDS = 160  # four times as far from the context frame
NON_CANONICAL = 1 << 47
PAC_MASK = (1 << 48) - 1  # arm64 pointer authentication bits stripped
MAX_GAP_X86 = 128 << 10   # Breakpad's kMaxReasonableGapBetweenFrames
DA64, DA32 = 0xDADADADADADADADA, 0xDADADADA  # what Breakpad's CFI walker leaves in registers it did not recover

# (pc, sp, frame pointer, word bytes) per cpu
ARCH = {"amd64": ("rip", "rsp", "rbp", 8), "x86": ("eip", "esp", "ebp", 4), "arm64": ("pc", "sp", "x29", 8),
        "arm": ("pc", "sp", "r11", 4)}
CALLER_BACK = {"amd64": 1, "x86": 1, "arm64": 4, "arm": 2}  # a caller's pc less this is inside its call
# registers the CFI walker knows: name -> (alternate rule name, callee-saved)
CFI_REGS = {
    "amd64": {**{r: ("", False) for r in ("rax", "rdx", "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11")},
              **{r: ("", True) for r in ("rbx", "rbp", "r12", "r13", "r14", "r15")},
              "rsp": (".cfa", False), "rip": (".ra", False)},
    "x86": {"eip": (".ra", False), "esp": (".cfa", False), "ebp": ("", True), "eax": ("", False),
            "ebx": ("", True), "ecx": ("", False), "edx": ("", False), "esi": ("", True), "edi": ("", True)},
}
ARM64_REGS = (*(f"x{i}" for i in range(31)), "sp", "pc")
ARM_REGS = (*(f"r{i}" for i in range(13)), "sp", "lr", "pc")


class Memory(Protocol):
    def u64(self, addr: int) -> int | None: ...

    def u32(self, addr: int) -> int | None: ...


class UnwindInfo(Protocol):
    """What the walk asks of the modules: a module's CFI rules and Windows frame record at an instruction, and
    whether an address is code Breakpad would return to (inside a module, and named by its symbols if any)."""

    def cfi(self, instruction: int) -> dict[str, str] | None: ...

    def windows_frame(self, instruction: int) -> WinFrame | None: ...

    def in_module(self, addr: int) -> bool: ...

    def seems_code(self, addr: int) -> bool: ...


@dataclass
class _Frame:
    regs: dict[str, int]
    valid: set[str]
    trust: str
    win: WinFrame | None = field(default=None)


def walk(context: dict[str, int], memory: Memory, info: UnwindInfo, cpu: str, windows: bool, ios: bool = False) \
        -> list[tuple[int, str]]:
    """(pc, trust) of each frame, innermost first: trust is context, cfi, cfi_scan, frame_pointer, scan or leaf.
    On iOS, 32-bit arm stacks are walked by the frame pointer r7 and never by CFI (Breakpad's choice)."""
    pc_r, sp_r = ARCH[cpu][:2]
    if pc_r not in context or sp_r not in context:
        return []
    frames = [_Frame(dict(context), set(context), "context")]
    while len(frames) < MAX_FRAMES:
        last = frames[-1]
        instruction = last.regs[pc_r] - (0 if last.trust == "context" else CALLER_BACK[cpu])
        new = None
        if cpu == "x86":
            win = info.windows_frame(instruction)
            if win is not None:
                last.win = win
                new = _by_windows_frame(frames, win, memory, info) if win.complete else None
        if new is None and not (cpu == "arm" and ios):
            rules = info.cfi(instruction)
            if rules is not None:
                new = _by_cfi(last, rules, memory, cpu, ios)
        if new is None:
            new = _amd64(last, memory, info, windows) if cpu == "amd64" else _arm64(frames, memory, info) \
                if cpu == "arm64" else _arm(last, memory, info, ios) if cpu == "arm" else \
                _ebp_at_base(last, memory, info)
        if new is None:
            break
        pc, sp, last_sp = new.regs[pc_r], new.regs[sp_r], last.regs[sp_r]
        if pc < 1 << 12 or (sp < last_sp if last.trust == "context" else sp <= last_sp):
            break
        frames.append(new)
    return [(f.regs[pc_r], f.trust) for f in frames]


def _scan(start: int, words: int, memory: Memory, info: UnwindInfo, word: int = 8, mask: int = (1 << 64) - 1) \
        -> tuple[int, int] | None:
    """Breakpad's ScanForReturnAddress: the first of `words` + 1 words from `start` that points just past code —
    (that value, where it was)."""
    read = memory.u64 if word == 8 else memory.u32
    for i in range(words + 1):
        at = start + word * i
        v = read(at)
        if v is None:
            return None
        v &= mask
        if info.seems_code(v - 1):
            return v, at
    return None


def _words(last: _Frame) -> int:
    return CONTEXT_SCAN_WORDS if last.trust == "context" else SCAN_WORDS


def _by_cfi(last: _Frame, rules: dict[str, str], memory: Memory, cpu: str, ios: bool = False) -> _Frame | None:
    """CFIFrameInfo::FindCallerRegs and the architecture's CFI walker: .cfa, then .ra, then each register's rule
    with .cfa known; the caller's registers by name, their alternate (.cfa, .ra), or kept when callee-saved."""
    if ".cfa" not in rules or ".ra" not in rules:
        return None
    word = ARCH[cpu][3]
    mask = (1 << (8 * word)) - 1
    read = memory.u64 if word == 8 else memory.u32
    if cpu in ("arm64", "arm"):
        names = ARM64_REGS if cpu == "arm64" else ARM_REGS
        callee = {r: last.regs[r] for r in names if r in last.valid and r in last.regs}
    else:
        callee = {f"${r}": last.regs[r] for r in CFI_REGS[cpu] if r in last.valid and r in last.regs}
    cfa = evaluate_value(rules[".cfa"], callee, read, mask)
    if cfa is None:
        return None
    with_cfa = {**callee, ".cfa": cfa}
    ra = evaluate_value(rules[".ra"], with_cfa, read, mask)
    if ra is None:
        return None
    caller = {".ra": ra, ".cfa": cfa}
    for name, expr in rules.items():
        if name not in (".cfa", ".ra"):
            v = evaluate_value(expr, with_cfa, read, mask)
            if v is not None:
                caller[name] = v
    if cpu == "arm64":
        return _arm64_cfi_frame(last, caller)
    if cpu == "arm":
        return _arm_cfi_frame(last, caller, ios)
    regs: dict[str, int] = {}
    valid: set[str] = set()
    for r, (alternate, callee_saved) in CFI_REGS[cpu].items():
        if f"${r}" in caller:
            regs[r] = caller[f"${r}"]
        elif alternate and alternate in caller:
            regs[r] = caller[alternate]
        elif callee_saved and r in last.valid:
            regs[r] = last.regs[r]
        else:
            regs[r] = DA64 if word == 8 else DA32
            continue
        valid.add(r)
    pc_r, sp_r, fp_r, _w = ARCH[cpu]
    essentials = {pc_r, sp_r} | ({fp_r} if cpu == "x86" else set())
    if not essentials <= valid or (cpu == "amd64" and (not regs[pc_r] or not regs[sp_r])):
        return None
    return _Frame(regs, valid, "cfi")


def _arm64_cfi_frame(last: _Frame, caller: dict[str, int]) -> _Frame | None:
    regs = dict.fromkeys(ARM64_REGS, 0)
    valid: set[str] = set()
    for i, r in enumerate(ARM64_REGS):
        if r in caller:
            regs[r] = caller[r]
            valid.add(r)
        elif 19 <= i <= 29 and r in last.valid:
            regs[r] = last.regs[r]
            valid.add(r)
    for r, alternate in (("pc", ".ra"), ("sp", ".cfa")):
        if r not in valid:
            regs[r] = caller[alternate]
            valid.add(r)
    regs["pc"] &= PAC_MASK
    return _Frame(regs, valid, "cfi")


def _arm_cfi_frame(last: _Frame, caller: dict[str, int], ios: bool) -> _Frame | None:
    """stackwalker_arm.cc: the rules' registers, r4-r11 kept when the rules leave them; pc from .ra (on iOS the
    lr from .ra and the pc from the callee's lr), sp from .cfa."""
    regs = dict.fromkeys(ARM_REGS, 0)
    valid: set[str] = set()
    for i, r in enumerate(ARM_REGS):
        if r in caller:
            regs[r] = caller[r] & 0xFFFFFFFF
            valid.add(r)
        elif 4 <= i <= 11 and r in last.valid:
            regs[r] = last.regs[r]
            valid.add(r)
    if "pc" not in valid:
        if ios:
            regs["lr"], regs["pc"] = caller[".ra"], last.regs.get("lr", 0)
            valid |= {"lr", "pc"}
        else:
            regs["pc"] = caller[".ra"]
            valid.add("pc")
    if "sp" not in valid:
        regs["sp"] = caller[".cfa"]
        valid.add("sp")
    return _Frame(regs, valid, "cfi")


def _arm(last: _Frame, memory: Memory, info: UnwindInfo, ios: bool) -> _Frame | None:
    """32-bit arm: on iOS the frame record at r7 (the caller's r7 and lr), else — and when that fails — a scan."""
    if ios and "r7" in last.valid:
        got = _frame_record(last.regs, "r7", "lr", memory, 4, 0xFFFFFFFF)
        if got is not None:
            return got
    found = _scan(last.regs["sp"], _words(last), memory, info, word=4)
    if found is None:
        return None
    return _Frame({**last.regs, "pc": found[0], "sp": found[1] + 4}, {"pc", "sp"}, "scan")


def _amd64(last: _Frame, memory: Memory, info: UnwindInfo, windows: bool) -> _Frame | None:
    if windows and last.trust == "context":  # GetCallerBySimulatingReturn: a leaf function's return address
        found = _scan(last.regs["rsp"], 1, memory, info)
        if found is not None:
            return _Frame({**last.regs, "rip": found[0], "rsp": found[1] + 8}, set(last.valid), "leaf")
    if not windows:
        got = _amd64_frame_pointer(last, memory)
        if got is not None:
            return got
    found = _scan(last.regs["rsp"], _words(last), memory, info)
    if found is None:
        return None
    ra, at = found
    regs = {**last.regs, "rip": ra, "rsp": at + 8}
    valid = {"rip", "rsp"}
    if "rbp" in last.valid:
        rbp = last.regs["rbp"]
        if at - 8 == rbp:
            saved = memory.u64(rbp)
            if saved is not None and saved > at:
                regs["rbp"] = saved
                valid.add("rbp")
        elif rbp >= at + 8:
            valid.add("rbp")
    return _Frame(regs, valid, "scan")


def _amd64_frame_pointer(last: _Frame, memory: Memory) -> _Frame | None:
    """GetCallerByFramePointerRecovery: the saved rbp and return address at rbp (the callee's rbp as it is,
    recovered or not), when aligned, canonical and the caller's frame lies above."""
    rbp = last.regs.get("rbp")
    if rbp is None or rbp % 8:
        return None
    ra, saved = memory.u64(rbp + 8), memory.u64(rbp)
    if ra is None or saved is None or not (ra < NON_CANONICAL or ra >= (1 << 64) - NON_CANONICAL):
        return None
    caller_sp = rbp + 16
    if caller_sp <= rbp or saved < caller_sp or memory.u64(saved) is None:
        return None
    return _Frame({**last.regs, "rip": ra, "rsp": caller_sp, "rbp": saved}, {"rip", "rsp", "rbp"}, "frame_pointer")


def _arm64(frames: list[_Frame], memory: Memory, info: UnwindInfo) -> _Frame | None:
    """GetCallerByFramePointer (the caller's pc is the callee's link register, the frame record at fp gives the
    caller's fp and lr; an unrecovered lr corrected from the callee's frame record), else a scan."""
    last = frames[-1]
    regs = dict(last.regs)
    if "x30" not in last.valid:
        _correct_lr(frames, regs, memory)
    got = _frame_record(regs, "x29", "x30", memory, 8, PAC_MASK)
    if got is not None:
        return got
    found = _scan(last.regs["sp"], _words(last), memory, info, mask=PAC_MASK)
    if found is None:
        return None
    return _Frame({**last.regs, "pc": found[0], "sp": found[1] + 8}, {"pc", "sp"}, "scan")


def _frame_record(regs: dict[str, int], fp_r: str, lr_r: str, memory: Memory, word: int, mask: int) \
        -> _Frame | None:
    """The arm frame-pointer step (GetCallerByFramePointer): the caller's pc is this frame's link register, the
    frame record at fp holds the caller's fp and lr, the caller's sp is just above it (a zero fp: sp stays);
    None when the record cannot be read."""
    fp = regs.get(fp_r, 0)
    caller_fp = caller_lr = 0
    if fp:
        read = memory.u64 if word == 8 else memory.u32
        saved, ra = read(fp), read(fp + word)
        if saved is None or ra is None:
            return None
        caller_fp, caller_lr = saved, ra & mask
    new = {**regs, fp_r: caller_fp, "sp": fp + 2 * word if fp else regs["sp"], "pc": regs.get(lr_r, 0),
           lr_r: caller_lr}
    return _Frame(new, {"pc", lr_r, fp_r, "sp"}, "frame_pointer")


def _correct_lr(frames: list[_Frame], regs: dict[str, int], memory: Memory) -> None:
    """CorrectRegLRByFramePointer: when the callee's frame record points at this frame's fp, the lr saved in
    it is this frame's."""
    if len(frames) < 2 or regs.get("x29", 0) <= regs["sp"]:
        return
    callee_fp = frames[-2].regs.get("x29", 0)
    if not callee_fp or memory.u64(callee_fp) != regs["x29"]:
        return
    lr = memory.u64(callee_fp + 8)
    if lr is not None:
        regs["x30"] = lr & PAC_MASK


def _ebp_at_base(last: _Frame, memory: Memory, info: UnwindInfo) -> _Frame | None:
    """x86 GetCallerByEBPAtBase: the caller from the words at ebp when they are readable, else a scan for a
    return address (restoring the ebp chain when the gap is reasonable)."""
    esp, ebp = last.regs["esp"], last.regs["ebp"]
    eip, saved = memory.u32(ebp + 4), memory.u32(ebp)
    if eip is not None and saved is not None:
        return _Frame({**last.regs, "eip": eip, "esp": ebp + 8, "ebp": saved}, {"eip", "esp", "ebp"},
                      "frame_pointer")
    found = _scan(esp, _words(last), memory, info, word=4)
    if found is None:
        return None
    eip, at = found
    caller_esp = at + 4
    chain = caller_esp - 8
    saved = memory.u32(chain)
    caller_ebp = saved if saved is not None and chain < saved <= chain + MAX_GAP_X86 else ebp
    return _Frame({**last.regs, "eip": eip, "esp": caller_esp, "ebp": caller_ebp}, {"eip", "esp", "ebp"}, "scan")


def _by_windows_frame(frames: list[_Frame], win: WinFrame, memory: Memory, info: UnwindInfo) -> _Frame | None:
    """x86 GetCallerByWindowsFrameInfo: the record's program (or the one Breakpad writes for FPO data) run with
    the return address searched for above the locals, saved registers and the callee's parameters; when the
    program fails or returns outside any module, a scan (trust scan, or cfi_scan)."""
    last = frames[-1]
    regs = last.regs
    callee_params = next((f.win.parameter_size for f in frames[:-1] if f.win is not None), 0)
    values = {"$ebp": regs["ebp"], "$esp": regs["esp"], ".cbCalleeParams": callee_params,
              ".cbSavedRegs": win.saved_register_size, ".cbLocals": win.local_size, ".cbParams": win.parameter_size}
    if "ebx" in last.valid:
        values["$ebx"] = regs["ebx"]
    search = regs["esp"] + callee_params + win.local_size + win.saved_register_size
    found = _scan(search, 3, memory, info, word=4)
    if found is not None:
        old, (ra, search) = search, (found[0], found[1])
        if last.trust == "context" and win.fpo and old == search and ra == regs["eip"]:
            found = _scan(search + 4, 3, memory, info, word=4)
            search = found[1] if found is not None else search + 4
    recover_ebp = True
    if win.program:
        program = win.program
    elif win.allocates_base_pointer:
        program = "$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = $esp .raSearchStart 4 + ="
    else:
        program = "$eip .raSearchStart ^ = $esp .raSearchStart 4 + =" + (" $ebx $ebx =" if "ebx" in last.valid else "")
        recover_ebp = False
    if "ebp" in last.valid and "@" in program:
        search = regs["ebp"] + 4
    values[".raSearchStart"] = values[".raSearch"] = search
    assigned: set[str] = set()
    trust = "cfi"
    if not evaluate(program, values, memory.u32, 0xFFFFFFFF, assigned) or not {"$eip", "$esp"} <= assigned:
        got = _scan(regs["esp"], _words(last), memory, info, word=4)
        if got is None:
            return None
        values["$eip"], values["$esp"] = got[0], got[1] + 4
        trust = "scan"
    if values["$eip"] or values["$ebp"]:
        offset = 0
        if not info.in_module(values["$eip"]):
            start = values[".raSearchStart"] + 4
            got = _scan(start, _words(last), memory, info, word=4)
            if got is not None:
                values["$eip"], values["$esp"] = got[0], got[1] + 4
                offset = got[1] - start
                trust = "cfi_scan"
        if recover_ebp:
            ebp = values["$ebp"]
            skipped = trust != "cfi" and ebp <= search + offset
            if skipped or memory.u32(ebp) is None:
                end = regs["esp"] + callee_params
                at = end + win.saved_register_size + offset
                while at >= end:
                    candidate = memory.u32(at)
                    if candidate is None:
                        break
                    if memory.u32(candidate) is not None:
                        values["$ebp"] = candidate
                        break
                    at -= 4
    new = {**regs, "eip": values["$eip"], "esp": values["$esp"], "ebp": values["$ebp"]}
    valid = {"eip", "esp", "ebp"}
    for r in ("ebx", "esi", "edi"):
        if f"${r}" in assigned:
            new[r] = values[f"${r}"]
            valid.add(r)
    return _Frame(new, valid, trust)
