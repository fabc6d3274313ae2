"""Parses Android ART thread dumps — the ANR traces in /data/anr (every process `----- pid N at DATE -----` …
`----- end N -----`, with `Cmd line:`), SIGQUIT output in logcat, bugreports' VM traces. Per ART's
runtime/thread.cc (Thread::DumpState, DumpJavaStack) and thread_list.cc: a `"name" [daemon] prio=P tid=T
State` header, `| key=value` lines (sysTid is the kernel thread), `native: #NN pc …` and `kernel:` frames,
`at class.method(File.java:N)` frames, and lock lines — `- locked <0x…> (a Cls)`, `- waiting on`, `- sleeping
on`, `- waiting to lock <0x…> (a Cls) held by thread N`. States are given the names jstack uses (Blocked is
BLOCKED, Waiting WAITING, Sleeping and TimedWaiting TIMED_WAITING, Runnable and Native RUNNABLE) with ART's
word kept as the detail, so the lock graph and deadlock cycles work as on HotSpot dumps."""

from __future__ import annotations

import re

from pmdesk.native.symbols import demangle
from pmdesk.readers.thread_rows import DumpRecord, Frame, LockRef, Thread

START = re.compile(r"^----- pid (\d+) at (.+?) -----\s*$")
END = re.compile(r"^----- end (\d+) -----\s*$")
HEADER = re.compile(r'^"(?P<name>.*)"(?P<daemon> daemon)? prio=(?P<prio>-?\d+) tid=(?P<tid>\d+) (?P<state>\S+)')
AT = re.compile(r"^  at (?P<fn>[^(]+)\((?P<loc>[^)]*)\)")
NATIVE = re.compile(r"^  native: #\d+ pc [0-9a-fA-F]+\s+(?P<file>\S+)(?: \((?P<fn>.*)\))?$")
LOCK = re.compile(r"^  - (?P<what>locked|waiting on|sleeping on|waiting to lock) <(?P<id>0x[0-9a-fA-F]+)>"
                  r"(?: \(a (?P<cls>.*?)\))?(?: held by thread (?P<owner>\d+))?\s*$")
STATES = {"Runnable": "RUNNABLE", "Native": "RUNNABLE", "Blocked": "BLOCKED", "Monitor": "BLOCKED",
          "Waiting": "WAITING", "Sleeping": "TIMED_WAITING", "TimedWaiting": "TIMED_WAITING"}
RELATION = {"locked": "locked", "waiting on": "waiting_on", "sleeping on": "waiting_on",
            "waiting to lock": "waiting_to_lock"}


def _state(art: str) -> str:
    """jstack's word for an ART state: WaitingForGcToComplete, WaitingInMainDebuggerLoop … are WAITING;
    Suspended and the rest keep their own name in capitals."""
    if art in STATES:
        return STATES[art]
    return "WAITING" if art.startswith("Waiting") else art.upper()


def sniff(text: str) -> bool:
    return "DALVIK THREADS" in text and ("\n----- pid " in text or text.startswith("----- pid "))


def _location(loc: str) -> tuple[str | None, int | None]:
    """'Daemons.java:150' -> (file, line); 'Native method' and the like -> (None, None)."""
    file, _, line = loc.rpartition(":")
    if file and line.lstrip("~").isdigit():  # ART writes ~43 for a line it guessed
        return file, int(line.lstrip("~"))
    return (None, None) if loc.lower().startswith("native") or not loc else (loc, None)


def _frame(line: str) -> Frame | None:
    """A Java frame ('  at …(File.java:N)') or a native one ('  native: #NN pc …'), None when unreadable."""
    a = AT.match(line)
    if a is not None:
        return Frame(a["fn"].strip().rstrip("!"), *_location(a["loc"]))
    n = NATIVE.match(line)
    return _native(n) if n is not None else None


def _native(m: re.Match[str]) -> Frame:
    fn = m["fn"] or "???"
    name, plus, off = fn.rpartition("+")
    if plus and off.isdigit():
        fn = demangle(name) + "+" + off
    else:
        fn = demangle(fn)
    return Frame(fn, None, None, m["file"])


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    frames: dict[str, Frame] = {}
    for i, line in enumerate(lines):
        m = START.match(line)
        if m:
            dump = DumpRecord("java", i + 1, f"pid {m[1]}", m[2].strip())
            dumps.append(dump)
            th = None
            continue
        if dump is None:
            continue
        if END.match(line):
            dump, th = None, None
            continue
        if line.startswith("Cmd line:") and th is None:
            dump.title = f"{line.split(':', 1)[1].strip()} (pid {dump.title.split()[-1]})"
            continue
        if line.startswith('"'):
            h = HEADER.match(line)
            if h is None:
                problems.append((i + 1, "unreadable thread header"))
                th = None
                continue
            state = h["state"]
            th = Thread(h["name"], h["tid"], i + 1, _state(state), state,
                        daemon=bool(h["daemon"]), priority=int(h["prio"]))
            dump.threads.append(th)
            continue
        if th is None or not line.startswith("  "):
            if not line.strip():
                th = None
            continue
        if line.startswith("  | "):
            sys_tid = re.search(r"\bsysTid=(\d+)", line)
            if sys_tid:
                th.native_id = sys_tid[1]
            continue
        if line.startswith(("  at ", "  native: ")):
            frame = frames.get(line)
            if frame is None:
                frame = _frame(line)
                if frame is None:
                    problems.append((i + 1, "unreadable stack frame line"))
                    continue
                frames[line] = frame
            th.frames.append(frame)
            continue
        if line.startswith("  - "):
            lk = LOCK.match(line)
            if lk is not None:
                th.locks.append(LockRef(lk["id"], lk["cls"], RELATION[lk["what"]], len(th.frames) - 1))
    return [d for d in dumps if d.threads]
