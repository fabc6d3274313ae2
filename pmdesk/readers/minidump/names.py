"""A minidump exception's code and flags in the words minidump_stackwalk uses (Breakpad's
processor/minidump_processor.cc GetCrashReason), per the OS that wrote it: Linux and Android (the signal and,
for SIGILL/SIGBUS/SIGFPE/SIGSEGV, its si_code; minidump_exception_linux.h), macOS and iOS (the Mach exception
and its code, read per processor; minidump_exception_mac.h), Windows (windows_codes.py; access violations and
in-page errors with their read/write/execute parameter). A code Breakpad has no word for is written as it
does: '0xc000000d / 0x00000000'."""

from __future__ import annotations

from dataclasses import dataclass

from pmdesk.base.signals import DUMP_REQUESTED, SIGNALS, si_code_name
from pmdesk.readers.minidump.windows_codes import FAST_FAIL, WINDOWS

# Mach exceptions: code -> (name, {processor family or "": {flags: word}}); a family Breakpad does not look at
# for that exception gets the flags in hex
KERN = {1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE", 8: "KERN_NO_ACCESS", 9: "KERN_MEMORY_FAILURE",
        10: "KERN_MEMORY_ERROR", 50: "KERN_CODESIGN_ERROR"}
X86_INSTRUCTION = {1: "EXC_I386_INVOP", 10: "EXC_I386_INVTSSFLT", 11: "EXC_I386_SEGNPFLT", 12: "EXC_I386_STKFLT",
                   13: "EXC_I386_GPFLT", 17: "EXC_I386_ALIGNFLT"}
PPC_INSTRUCTION = {1: "EXC_PPC_INVALID_SYSCALL", 2: "EXC_PPC_UNIPL_INST", 3: "EXC_PPC_PRIVINST",
                   4: "EXC_PPC_PRIVREG", 5: "EXC_PPC_TRACE", 6: "EXC_PPC_PERFMON"}
PPC_ARITHMETIC = {1: "EXC_PPC_OVERFLOW", 2: "EXC_PPC_ZERO_DIVIDE", 3: "EXC_FLT_INEXACT", 4: "EXC_PPC_FLT_ZERO_DIVIDE",
                  5: "EXC_PPC_FLT_UNDERFLOW", 6: "EXC_PPC_FLT_OVERFLOW", 7: "EXC_PPC_FLT_NOT_A_NUMBER",
                  8: "EXC_PPC_NOEMULATION", 9: "EXC_PPC_ALTIVECASSIST"}
X86_ARITHMETIC = {1: "EXC_I386_DIV", 2: "EXC_I386_INTO", 3: "EXC_I386_NOEXT", 4: "EXC_I386_EXTOVR",
                  5: "EXC_I386_EXTERR", 6: "EXC_I386_EMERR", 7: "EXC_I386_BOUND", 8: "EXC_I386_SSEEXTERR"}
MACH: dict[int, tuple[str, dict[str, dict[int, str]]]] = {
    1: ("EXC_BAD_ACCESS", {"": KERN, "arm": {**KERN, 0x101: "EXC_ARM_DA_ALIGN", 0x102: "EXC_ARM_DA_DEBUG"},
                           "ppc": {**KERN, 0x101: "EXC_PPC_VM_PROT_READ", 0x102: "EXC_PPC_BADSPACE",
                                   0x103: "EXC_PPC_UNALIGNED"},
                           "x86": {**KERN, 13: "EXC_I386_GPFLT"}}),
    2: ("EXC_BAD_INSTRUCTION", {"arm": {1: "EXC_ARM_UNDEFINED"}, "ppc": PPC_INSTRUCTION, "x86": X86_INSTRUCTION}),
    3: ("EXC_ARITHMETIC", {"ppc": PPC_ARITHMETIC, "x86": X86_ARITHMETIC}),
    4: ("EXC_EMULATION", {}),
    5: ("EXC_SOFTWARE", {"": (software := {0x10002: "SIGABRT", 0xDEADC0DE: "UNCAUGHT_NS_EXCEPTION",
                                           1: "EXC_PPC_TRAP", 0x10100: "EXC_PPC_MIGRATE"}),
                         "arm": software, "ppc": software, "x86": software}),
    6: ("EXC_BREAKPOINT", {"arm": {0x101: "EXC_ARM_DA_ALIGN", 0x102: "EXC_ARM_DA_DEBUG", 1: "EXC_ARM_BREAKPOINT"},
                           "ppc": {1: "EXC_PPC_BREAKPOINT"}, "x86": {1: "EXC_I386_SGL", 2: "EXC_I386_BPT"}}),
    7: ("EXC_SYSCALL", {}), 8: ("EXC_MACH_SYSCALL", {}), 9: ("EXC_RPC_ALERT", {}), 11: ("EXC_RESOURCE", {}),
    12: ("EXC_GUARD", {}),
}
MACH_WHOLE = {0x43507378: "Simulated Exception", 0x43506E78: "Uncaught NSException"}  # Crashpad's own codes
ACCESS = {0: "READ", 1: "WRITE", 8: "EXEC"}


@dataclass
class Words:
    exception: str | None   # the Mach or Windows exception (or the code in hex); None for a Linux signal
    signal: str | None      # the signal (Linux, Android)
    code: str | None        # si_code or the Mach code's name, or the flags in hex
    address: int | None     # the faulting address when the parameters give it (Windows access violations)


def processor_family(arch: int) -> str:
    """Breakpad's processor switch for Mach codes: 'arm' (32-bit ARM and the old ARM64 value only), 'ppc', 'x86'
    (x86 and amd64), else ''."""
    return {5: "arm", 0x8003: "arm", 3: "ppc", 0: "x86", 9: "x86"}.get(arch, "")


def exception_words(os_name: str, code: int, flags: int, params: list[int], family: str = "") -> Words:
    """The words for an exception; an unknown code as Breakpad writes it."""
    unknown = Words(f"0x{code:08x}", None, f"0x{flags:08x}", None)
    if os_name in ("Linux", "Android"):
        if code == DUMP_REQUESTED:
            return Words("DUMP_REQUESTED", None, None, None)
        signal = SIGNALS.get(code)
        if signal is None:
            return unknown
        return Words(None, signal, si_code_name(signal, flags), None)
    if os_name in ("Mac OS X", "iOS"):
        if code in MACH_WHOLE:
            return Words(MACH_WHOLE[code], None, None, None)
        if code not in MACH:
            return unknown
        name, tables = MACH[code]
        return Words(name, None, tables.get(family, tables.get("", {})).get(flags, f"0x{flags:08x}"), None)
    if code in (0xC0000005, 0xC0000006):  # access violation, in-page error: the access kind, then the address
        base = "EXCEPTION_ACCESS_VIOLATION" if code == 0xC0000005 else "EXCEPTION_IN_PAGE_ERROR"
        kind = ACCESS.get(params[0]) if params else None
        words = f"{base}_{kind}" if kind else base
        if code == 0xC0000006 and len(params) >= 3:
            words += f" / 0x{params[2] & 0xFFFFFFFF:08x}"  # the NTSTATUS behind it (Breakpad may name it)
        return Words(words, None, None, params[1] if len(params) > 1 else None)
    if code == 0xC0000409:
        return Words(FAST_FAIL.get(params[0], "EXCEPTION_STACK_BUFFER_OVERRUN") if params
                     else "EXCEPTION_STACK_BUFFER_OVERRUN", None, None, None)
    name = WINDOWS.get(code)
    return Words(name, None, None, None) if name else unknown
