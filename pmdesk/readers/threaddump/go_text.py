"""Parses Go goroutine dumps (a panic, `fatal error`, or SIGQUIT with GOTRACEBACK=all): the pre-1.21
`goroutine N [state, 5 minutes]:` and the 1.21+ `goroutine N gp=0x… m=… mp=… [state]:` headers, frames with
their file:line, `created by` lines, `[originating from goroutine N]:` ancestors (GODEBUG=tracebackancestors);
each line's log prefix (a timestamp and stream) taken off. Waiting in sync.(*Mutex).Lock is a wait for that
mutex."""

from __future__ import annotations

import re

from pmdesk.readers.thread_rows import Ancestor, DumpRecord, Frame, LockRef, Thread

_HEADER = re.compile(r"^goroutine (?P<id>\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)?(?: \[(?P<state>[^\]]*)\])?:\s*$")
_FILE = re.compile(r"^\t(?P<file>.+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?")
_CALL = re.compile(r"^(?P<fn>.+?)\((?P<args>[^()]*)\)\s*$")
_REGISTER = re.compile(r"^[a-z][a-z0-9]{1,6}\s+0x[0-9a-f]+$")  # 'rax    0xca': the signalled thread's registers
_ANCESTOR = re.compile(r"^\[originating from goroutine (?P<id>\d+)\]:\s*$")
_DUMP_START = ("SIGQUIT:", "panic:", "fatal error:", "SIGABRT:", "SIGSEGV:", "SIGBUS:", "SIGILL:", "SIGTRAP:")
_MUTEX_LOCK = ("sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock")


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    seen: set[str] = set()
    pending_created = False
    here: Thread | Ancestor | None = None  # what frames go to: the goroutine, or the ancestor being read
    for i, raw in enumerate(_without_log_prefix(lines)):
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
            th = here = Thread(f"goroutine {m['id']}", m["id"], i + 1, state=state, detail=duration)
            dump.threads.append(th)
            pending_created = False
            continue
        if th is None or here is None:
            continue
        if line.startswith("\t"):
            m = _FILE.match(line)
            if m and here.frames and here.frames[-1].file is None and not pending_created:
                here.frames[-1].file, here.frames[-1].line = m["file"], int(m["line"])
            pending_created = False
            continue
        if line.startswith("created by "):
            here.created_by = line[len("created by "):].split(" in goroutine")[0].strip()
            pending_created = True
            continue
        if line.startswith("[originating from goroutine "):
            m = _ANCESTOR.match(line)
            if m is not None:
                here = Ancestor(m["id"])
                th.ancestors.append(here)
                pending_created = False
                continue
        if line.startswith("...") or _REGISTER.match(line):  # "...additional frames elided...", registers
            continue
        m = _CALL.match(line)
        if m is None:
            problems.append((i + 1, "unreadable goroutine frame line"))
            continue
        fn = m["fn"]
        here.frames.append(Frame(fn))
        if here is th and fn in _MUTEX_LOCK and m["args"]:
            arg = m["args"].split(",")[0].strip().rstrip("?")
            if arg.startswith("0x") and not any(lk.relation == "waiting_to_lock" for lk in th.locks):
                kind = fn.split(".(*")[1].split(")")[0]
                th.locks.append(LockRef(arg, f"sync.{kind}", "waiting_to_lock", len(th.frames) - 1))
    return dumps


_ANY_HEADER = re.compile(r"goroutine \d+ .*\[.*\]:$", re.M)  # at a line's start, or after a log prefix


def _without_log_prefix(lines: list[str]) -> list[str]:
    """The lines without the prefix a log adds to each (a timestamp and stream, as the kubelet's CRI log
    format, `docker logs -t` or journald write them): the text before the first goroutine header, its digit
    runs free, is taken off every line that starts with it. Lines as they are when the header starts a line."""
    for line in lines:
        m = _ANY_HEADER.search(line)
        if m is not None:
            if m.start() == 0:
                return lines
            prefix = line[:m.start()]
            pattern = re.compile("".join(r"\d+" if part.isdigit() else re.escape(part)
                                         for part in re.split(r"(\d+)", prefix) if part))
            return [line[m2.end():] if (m2 := pattern.match(line)) else line for line in lines]
    return lines


def sniff(text: str) -> bool:
    return _ANY_HEADER.search(text) is not None
