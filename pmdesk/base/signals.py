"""Linux signals and the si_code names Breakpad's minidump_stackwalk words a crash with (its
processor/minidump_processor.cc; the numbers are Linux's, minidump_exception_linux.h): SIGILL, SIGBUS, SIGFPE
and SIGSEGV with their code, any other signal alone."""

from __future__ import annotations

SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
           8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM",
           15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN",
           22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH",
           29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}
DUMP_REQUESTED = 0xFFFFFFFF  # Breakpad's code for a dump written on request (ExceptionHandler::WriteMinidump)
# si_code names, from 1 up, of the signals Breakpad words with one
SI_CODES = {"SIGSEGV": ("SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"),
            "SIGBUS": ("BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"),
            "SIGFPE": ("FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
                       "FPE_FLTINV", "FPE_FLTSUB"),
            "SIGILL": ("ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
                       "ILL_COPROC", "ILL_BADSTK")}


def si_code_name(signal: str, code: int) -> str | None:
    """The name of a signal's si_code ('SEGV_MAPERR'), its value in hex when unknown, None for a signal
    Breakpad words without one."""
    names = SI_CODES.get(signal)
    if names is None:
        return None
    return names[code - 1] if 1 <= code <= len(names) else f"0x{code & 0xFFFFFFFF:08x}"
