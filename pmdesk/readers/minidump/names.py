"""A minidump exception's code and flags in the words minidump-stackwalk uses, per the OS that wrote it:
Linux and Android (the signal number and si_code; Breakpad's minidump_exception_linux.h), macOS and iOS (the
Mach exception and its kern_return_t code; minidump_exception_mac.h), Windows (NTSTATUS, access violations with
their read/write/execute parameter; minidump_exception_win32.h)."""

from __future__ import annotations

from dataclasses import dataclass

SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
           8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM",
           15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN",
           22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH",
           29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS", 0xFFFFFFFF: "DUMP_REQUESTED"}
# si_code names of the signals Breakpad words with one (minidump_processor.cc); others stand alone
SI_CODES = {"SIGSEGV": ("SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"),
            "SIGBUS": ("BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"),
            "SIGFPE": ("FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
                       "FPE_FLTINV", "FPE_FLTSUB"),
            "SIGILL": ("ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
                       "ILL_COPROC", "ILL_BADSTK")}
MACH = {1: "EXC_BAD_ACCESS", 2: "EXC_BAD_INSTRUCTION", 3: "EXC_ARITHMETIC", 4: "EXC_EMULATION",
        5: "EXC_SOFTWARE", 6: "EXC_BREAKPOINT", 7: "EXC_SYSCALL", 10: "EXC_CRASH", 11: "EXC_RESOURCE",
        12: "EXC_GUARD"}
KERN = {1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE", 13: "KERN_MEMORY_ERROR"}
NTSTATUS = {0xC0000005: "EXCEPTION_ACCESS_VIOLATION", 0xC0000006: "EXCEPTION_IN_PAGE_ERROR",
            0x80000003: "EXCEPTION_BREAKPOINT", 0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
            0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO", 0xC00000FD: "EXCEPTION_STACK_OVERFLOW",
            0xC0000409: "STATUS_STACK_BUFFER_OVERRUN", 0xC0000374: "STATUS_HEAP_CORRUPTION",
            0xE06D7363: "Unhandled C++ Exception", 0x80000004: "EXCEPTION_SINGLE_STEP"}
ACCESS = {0: "READ", 1: "WRITE", 8: "EXEC"}


@dataclass
class Words:
    exception: str | None   # the Mach or Windows exception; None on Linux
    signal: str | None      # the signal (Linux, Android)
    code: str | None        # si_code or kern_return_t name, or the hex value when unknown
    address: int | None     # the faulting address when the parameters give it (Windows access violations)


def exception_words(os_name: str, code: int, flags: int, params: list[int]) -> Words:
    """The words for an exception; an unknown code as Breakpad writes it: '0xc000000d / 0x00000000'."""
    unknown = Words(f"0x{code:08x}", None, f"0x{flags:08x}", None)
    if os_name in ("Linux", "Android"):
        signal = SIGNALS.get(code)
        if signal is None:
            return unknown
        names = SI_CODES.get(signal)
        if names is None:
            return Words(None, signal, None, None)
        return Words(None, signal, names[flags - 1] if 1 <= flags <= len(names) else f"0x{flags:08x}", None)
    if os_name in ("Mac OS X", "iOS"):
        exc = MACH.get(code)
        if exc is None:
            return unknown
        return Words(exc, None, KERN.get(flags, f"0x{flags:08x}") if flags else None, None)
    name = NTSTATUS.get(code)
    if name is None:
        return unknown
    if code == 0xC0000005 and params:
        return Words(f"{name}_{ACCESS.get(params[0], 'UNKNOWN')}", None, None,
                     params[1] if len(params) > 1 else None)
    return Words(name, None, None, None)
