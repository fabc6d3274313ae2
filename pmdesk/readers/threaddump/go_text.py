"""Parses Go goroutine dumps (a panic, `fatal error`, or SIGQUIT with GOTRACEBACK=all): the pre-1.21
`goroutine N [state, 5 minutes]:` and the 1.21+ `goroutine N gp=0x… m=… mp=… [state]:` headers, frames with
their file:line, `created by` lines. Waiting in sync.(*Mutex).Lock is a wait for that mutex."""

from __future__ import annotations

import re

from pmdesk.readers.threaddump.model import DumpRecord, Frame, LockRef, Thread

_HEADER = re.compile(r"^goroutine (?P<id>\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)?(?: \[(?P<state>[^\]]*)\])?:\s*$")
_FILE = re.compile(r"^\t(?P<file>.+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?")
_CALL = re.compile(r"^(?P<fn>.+?)\((?P<args>[^()]*)\)\s*$")
_DUMP_START = ("SIGQUIT:", "panic:", "fatal error:", "SIGABRT:", "SIGSEGV:", "SIGBUS:", "SIGILL:", "SIGTRAP:")
_MUTEX_LOCK = ("sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock")


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    seen: set[str] = set()
    pending_created = False
    for i, raw in enumerate(lines):
        line = raw.rstrip("\n")
        if not line:
            continue
        if line.startswith(_DUMP_START):
            dump = DumpRecord("go", i + 1, line.strip())
            dumps.append(dump)
            th, seen = None, set()
            continue
        if line.startswith("goroutine "):
            m = _HEADER.match(line)
            if m is None:
                continue
            if dump is None or m["id"] in seen:  # a dump without a header line, or the next one of a series
                dump = DumpRecord("go", i + 1, "goroutine dump")
                dumps.append(dump)
                seen = set()
            seen.add(m["id"])
            state, _, duration = (m["state"] or "").partition(", ")
            th = Thread(f"goroutine {m['id']}", m["id"], i + 1, state=state, detail=duration)
            dump.threads.append(th)
            pending_created = False
            continue
        if th is None:
            continue
        if line.startswith("\t"):
            m = _FILE.match(line)
            if m and th.frames and th.frames[-1].file is None and not pending_created:
                th.frames[-1].file, th.frames[-1].line = m["file"], int(m["line"])
            pending_created = False
            continue
        if line.startswith("created by "):
            th.created_by = line[len("created by "):].split(" in goroutine")[0].strip()
            pending_created = True
            continue
        if line.startswith("..."):  # "...additional frames elided..."
            continue
        m = _CALL.match(line)
        if m is None:
            problems.append((i + 1, "unreadable goroutine frame line"))
            continue
        fn = m["fn"]
        th.frames.append(Frame(fn))
        if fn in _MUTEX_LOCK and m["args"]:
            arg = m["args"].split(",")[0].strip().rstrip("?")
            if arg.startswith("0x") and not any(lk.relation == "waiting_to_lock" for lk in th.locks):
                kind = fn.split(".(*")[1].split(")")[0]
                th.locks.append(LockRef(arg, f"sync.{kind}", "waiting_to_lock", len(th.frames) - 1))
    return dumps


_ANY_HEADER = re.compile(r"^goroutine \d+ .*\[.*\]:$", re.M)


def sniff(text: str) -> bool:
    return _ANY_HEADER.search(text) is not None
