"""The notes of an ELF core: per-thread NT_PRSTATUS (tid, signal, general registers) for x86-64, aarch64,
ppc64le and i386,
NT_FPREGSET (floating-point and vector registers), NT_PRPSINFO (command line, uid), NT_SIGINFO (signal, code,
fault address), NT_AUXV, NT_FILE (which file is mapped where) — the layouts the Linux kernel, gdb's gcore and
qemu-user write."""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError

from pmdesk.native.arch import word_bytes
from pmdesk.readers.elfcore.fpregs import parse_fpregset

# elf_prstatus: siginfo (3 ints), cursig (short + pad), sigpend, sighold, pid, ppid, pgrp, sid, 4 timevals —
# longs and timevals of 8 bytes on 64-bit machines, 4 on 32-bit ones (i386)
PRSTATUS_HEAD = struct.Struct("<3ih2xQQ4i64x")
PRSTATUS_HEAD_32 = struct.Struct("<3ih2xII4i32x")
REGISTERS = {
    "EM_X86_64": ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
                  "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs",
                  "gs"),
    "EM_AARCH64": tuple(f"x{i}" for i in range(31)) + ("sp", "pc", "pstate"),
    # ppc64 elf_gregset_t (the kernel's struct pt_regs as user_regset): 48 words
    "EM_PPC64": tuple(f"r{i}" for i in range(32)) + ("nip", "msr", "orig_gpr3", "ctr", "lr", "xer", "ccr", "softe",
                                                     "trap", "dar", "dsisr", "result", "pad0", "pad1", "pad2",
                                                     "pad3"),
    "EM_386": ("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "xds", "xes", "xfs", "xgs", "orig_eax", "eip", "xcs",
               "eflags", "esp", "xss"),
}
SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
           8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM",
           15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP",
           21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM",
           27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}
FAULT_SIGNALS = {4, 7, 8, 11}  # si_addr is the faulting address


@dataclass
class Thread:
    tid: int
    signal: int
    registers: dict[str, int]
    fp: list[tuple[str, str]] = field(default_factory=list)  # NT_FPREGSET, as gdb shows it


@dataclass
class Mapping:
    start: int
    end: int
    offset: int  # in the file
    path: str


@dataclass
class CoreNotes:
    machine: str
    threads: list[Thread] = field(default_factory=list)
    signal: int | None = None
    signal_code: int | None = None
    fault_address: int | None = None
    command: str | None = None
    pid: int | None = None
    uid: int | None = None
    auxv: dict[int, int] = field(default_factory=dict)
    files: list[Mapping] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_prstatus(desc: bytes, machine: str) -> Thread:
    word = word_bytes(machine)
    head = PRSTATUS_HEAD_32 if word == 4 else PRSTATUS_HEAD
    signo, _code, _errno, cursig, _pend, _hold, pid, _ppid, _pgrp, _sid = head.unpack_from(desc, 0)
    names = REGISTERS[machine]
    values = struct.unpack_from(f"<{len(names)}{'I' if word == 4 else 'Q'}", desc, head.size)
    return Thread(pid, cursig or signo, dict(zip(names, values, strict=True)))


def parse_siginfo(desc: bytes, notes: CoreNotes, word: int = 8) -> None:
    """siginfo_t: signal, errno, code, then (aligned to a pointer) the fault address."""
    signo, _errno, code = struct.unpack_from("<3i", desc, 0)
    notes.signal = signo
    notes.signal_code = code
    at = 16 if word == 8 else 12
    if signo in FAULT_SIGNALS and len(desc) >= at + word:
        notes.fault_address = struct.unpack_from("<Q" if word == 8 else "<I", desc, at)[0]


def parse_auxv(desc: bytes, word: int = 8) -> dict[int, int]:
    """The auxiliary vector's (key, value) pairs of pointer-sized words, to AT_NULL."""
    out = {}
    pair = struct.Struct("<QQ" if word == 8 else "<II")
    for at in range(0, len(desc) - pair.size + 1, pair.size):
        key, value = pair.unpack_from(desc, at)
        if key == 0:
            break
        out[key] = value
    return out


def _readable_notes(seg: Any) -> tuple[int, bool]:
    """How many notes of a PT_NOTE segment have headers whose name and descriptor fit in the segment (and the
    file), walked on the segment's own bytes before pyelftools reads any — it reads a note's name with the
    size the header claims, so a damaged 4 GB one is a MemoryError — and whether a damaged one ends them."""
    stream = seg.stream
    stream.seek(0, 2)
    file_bytes = stream.tell()
    start, size = seg.header.p_offset, seg.header.p_filesz
    if start >= file_bytes:
        return 0, size > 0
    stream.seek(start)
    data = stream.read(min(size, file_bytes - start))
    n = at = 0
    while at + 12 <= len(data):
        namesz, descsz = struct.unpack_from("<II", data, at)
        end = at + 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
        if end > len(data) + 3:  # the last note's padding may be cut
            return n, True
        n += 1
        at = end
    return n, len(data) < size


def read_notes(segments: list[Any], machine: str) -> CoreNotes:
    """Everything the PT_NOTE segments say (a note that cannot be read is named in `problems`)."""
    notes = CoreNotes(machine)
    if machine not in REGISTERS:
        notes.problems.append(f"registers of {machine} cores are not read")
    for seg in segments:
        seen = 0
        readable, damaged = _readable_notes(seg)
        if damaged:
            notes.problems.append(f"a note header in the notes at byte {seg.header.p_offset:,} is damaged "
                                  "(sizes larger than the segment): the notes after it are lost")
        try:
            for n in itertools.islice(seg.iter_notes(), readable):  # pyelftools reads a note as it yields it
                seen += 1
                kind, desc = n["n_type"], n["n_desc"]
                if kind == "NT_PRSTATUS" and machine in REGISTERS:
                    notes.threads.append(parse_prstatus(desc, machine))
                elif kind == "NT_FPREGSET" and notes.threads:  # follows its thread's NT_PRSTATUS
                    notes.threads[-1].fp = parse_fpregset(desc, machine)
                elif kind == "NT_SIGINFO" and notes.signal is None:
                    parse_siginfo(desc, notes, word_bytes(machine))
                elif kind == "NT_PRPSINFO":
                    notes.command = desc["pr_psargs"].split(b"\0")[0].decode("utf-8", "replace").strip() or None
                    notes.pid = int(desc["pr_pid"])
                    notes.uid = int(desc["pr_uid"])
                elif kind == "NT_AUXV":
                    notes.auxv = parse_auxv(desc, word_bytes(machine))
                elif kind == "NT_FILE":
                    page = int(desc["page_size"])
                    for entry, path in zip(desc["Elf_Nt_File_Entry"], desc["filename"], strict=False):
                        notes.files.append(Mapping(int(entry["vm_start"]), int(entry["vm_end"]),
                                                   int(entry["page_offset"]) * page,
                                                   path.decode("utf-8", "replace") if isinstance(path, bytes)
                                                   else str(path)))
        except (ELFError, ConstructError, OSError, struct.error, ValueError, KeyError, TypeError,
                AttributeError) as e:
            notes.problems.append(f"a note could not be read ({e})")
        if not seen and seg.header.p_filesz:
            notes.problems.append(f"the notes at byte {seg.header.p_offset:,} could not be read")
    if notes.signal is None and notes.threads:
        notes.signal = notes.threads[0].signal or None
    return notes
