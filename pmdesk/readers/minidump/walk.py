"""A minidump thread's stack walked as Breakpad's minidump_stackwalk and rust-minidump walk it when no CFI
is at hand (processor/stackwalker_amd64.cc, stackwalker_arm64.cc, stackwalker_x86.cc): the context frame,
then the frame-pointer chain where it passes Breakpad's checks (8-byte aligned, the caller's frame above the
callee's, the saved frame pointer pointing at readable stack; never on Windows amd64; on arm64 the link
register gives the caller; on x86 the words at ebp), else a scan of the stack for a word pointing into a
module (160 words for the context frame, 40 after), stopping where Breakpad stops (a pc below 4 KiB, a stack
pointer that does not grow). Each frame says how it was found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

MAX_FRAMES = 1024
SCAN_WORDS = 40          # Breakpad's kRASearchWords
CONTEXT_SCAN_WORDS = 160  # four times as far from the context frame
NON_CANONICAL = 1 << 47
PAC_MASK = (1 << 48) - 1  # arm64 pointer authentication bits stripped


MAX_GAP_X86 = 128 << 10  # Breakpad's kMaxReasonableGapBetweenFrames


class Memory(Protocol):
    def u64(self, addr: int) -> int | None: ...

    def u32(self, addr: int) -> int | None: ...


def _canonical(v: int) -> bool:
    return v < NON_CANONICAL or v >= (1 << 64) - NON_CANONICAL


def walk(regs: dict[str, int], memory: Memory, in_module: Callable[[int], bool], windows: bool,
         arm64: bool = False) -> list[tuple[int, str]]:
    """(pc, trust) of each frame, innermost first; trust is context, fp or scan."""
    pc_r, sp_r, fp_r = ("pc", "sp", "x29") if arm64 else ("rip", "rsp", "rbp")
    pc, sp = regs.get(pc_r), regs.get(sp_r)
    if pc is None or sp is None:
        return []
    fp = regs.get(fp_r)
    lr = regs.get("x30") if arm64 else None
    frames = [(pc, "context")]
    trust = "context"
    while len(frames) < MAX_FRAMES:
        got = None
        if arm64 and lr is not None:
            got, lr = _arm64_frame_pointer(fp, sp, lr, memory)
        elif not windows and fp is not None and not arm64:
            got = _frame_pointer(fp, memory)
        how = "fp"
        if got is None:
            got = _scan(sp, fp, memory, in_module, trust == "context", arm64)
            how = "scan"
        if got is None:
            break
        new_pc, new_sp, new_fp = got
        if new_pc < 1 << 12 or (new_sp < sp if trust == "context" else new_sp <= sp):
            break
        frames.append((new_pc, how))
        pc, sp, fp, trust = new_pc, new_sp, new_fp, how
    return frames


def _arm64_frame_pointer(fp: int | None, sp: int, lr: int, memory: Memory) \
        -> tuple[tuple[int, int, int | None] | None, int | None]:
    """arm64 (stackwalker_arm64.cc): the caller's pc is the callee's link register; the frame record at fp
    gives the caller's fp and link register."""
    caller_fp = caller_lr = 0
    if fp:
        saved, ra = memory.u64(fp), memory.u64(fp + 8)
        if saved is None or ra is None:
            return None, None
        caller_fp, caller_lr = saved, ra & PAC_MASK
    return (lr & PAC_MASK, fp + 16 if fp else sp, caller_fp), caller_lr


def _frame_pointer(fp: int, memory: Memory) -> tuple[int, int, int | None] | None:
    if fp % 8:
        return None
    ra, saved = memory.u64(fp + 8), memory.u64(fp)
    if ra is None or saved is None or not _canonical(ra):
        return None
    caller_sp = fp + 16
    if caller_sp <= fp or saved < caller_sp or memory.u64(saved) is None:
        return None
    return ra, caller_sp, saved


def _return_address(sp: int, memory: Memory, in_module: Callable[[int], bool], context: bool, word: int = 8,
                    mask: int = (1 << 64) - 1) -> tuple[int, int] | None:
    """Breakpad's ScanForReturnAddress: the first word from sp on (160 words from the context frame, else 40)
    that points just past an address inside a module — (that value, where it was)."""
    read = memory.u64 if word == 8 else memory.u32
    for i in range((CONTEXT_SCAN_WORDS if context else SCAN_WORDS) + 1):
        at = sp + word * i
        v = read(at)
        if v is None:
            return None
        v &= mask
        if in_module(v - 1):
            return v, at
    return None


def _scan(sp: int, fp: int | None, memory: Memory, in_module: Callable[[int], bool], context: bool,
          arm64: bool) -> tuple[int, int, int | None] | None:
    """amd64/arm64: the scanned return address, and the frame pointer Breakpad keeps or restores with it."""
    found = _return_address(sp, memory, in_module, context, mask=PAC_MASK if arm64 else (1 << 64) - 1)
    if found is None:
        return None
    v, at = found
    new_fp = None
    if fp is not None:
        if at - 8 == fp:
            saved = memory.u64(fp)
            new_fp = saved if saved is not None and saved > at else None
        elif fp >= at + 8:
            new_fp = fp
    return v, at + 8, new_fp


def walk_x86(regs: dict[str, int], memory: Memory, in_module: Callable[[int], bool]) -> list[tuple[int, str]]:
    """x86 (stackwalker_x86.cc, GetCallerByEBPAtBase): the caller from the words at ebp when they are readable,
    else a scan for a return address (restoring the ebp chain when the gap is reasonable)."""
    eip, esp, ebp = regs.get("eip"), regs.get("esp"), regs.get("ebp")
    if eip is None or esp is None or ebp is None:
        return []
    frames = [(eip, "context")]
    trust = "context"
    while len(frames) < MAX_FRAMES:
        caller_eip, caller_ebp = memory.u32(ebp + 4), memory.u32(ebp)
        if caller_eip is not None and caller_ebp is not None:
            caller_esp, how = ebp + 8, "fp"
        else:
            found = _return_address(esp, memory, in_module, trust == "context", word=4)
            if found is None:
                break
            caller_eip, at = found
            caller_esp = at + 4
            chain = caller_esp - 8
            saved = memory.u32(chain)
            caller_ebp = saved if saved is not None and chain < saved <= chain + MAX_GAP_X86 else ebp
            how = "scan"
        if caller_eip < 1 << 12 or (caller_esp < esp if trust == "context" else caller_esp <= esp):
            break
        frames.append((caller_eip, how))
        eip, esp, ebp, trust = caller_eip, caller_esp, caller_ebp, how
    return frames

