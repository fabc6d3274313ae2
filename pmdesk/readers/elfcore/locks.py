"""Threads of a core blocked on glibc mutexes: a thread sleeping in the futex system call on a mutex's lock
word (x86-64: orig_rax = SYS_futex, the word's address in rdi) waits for the thread whose id the mutex
records as its owner (pthread_mutex_t.__owner, 8 bytes in). The cycles among them (deadlocks) are found by
index/derive/wait_cycles.py."""

from __future__ import annotations

from dataclasses import dataclass

from pmdesk.readers.elfcore.memory import Memory
from pmdesk.readers.elfcore.notes import Thread

SYS_FUTEX = {"EM_X86_64": (202,), "EM_AARCH64": (98,), "EM_PPC64": (221,),
             "EM_386": (240, 422)}  # i386: futex and futex_time64 (glibc 2.34+)
SYSCALL_ARG0 = {"EM_X86_64": "rdi", "EM_AARCH64": "x0", "EM_PPC64": "r3", "EM_386": "ebx"}
SYSCALL_NR = {"EM_X86_64": "orig_rax", "EM_AARCH64": "x8", "EM_PPC64": "r0", "EM_386": "orig_eax"}
OWNER_OFFSET = 8


@dataclass
class MutexWait:
    tid: int
    mutex: int
    owner: int | None


def mutex_waits(threads: list[Thread], memory: Memory, machine: str) -> list[MutexWait]:
    if machine not in SYS_FUTEX:
        return []
    tids = {t.tid for t in threads}
    out = []
    for t in threads:
        if t.registers.get(SYSCALL_NR[machine]) not in SYS_FUTEX[machine]:
            continue
        word = t.registers.get(SYSCALL_ARG0[machine], 0)
        raw = memory.read(word + OWNER_OFFSET, 4)
        owner = int.from_bytes(raw, "little") if raw else None
        if owner in tids and owner != t.tid:
            out.append(MutexWait(t.tid, word, owner))
    return out
