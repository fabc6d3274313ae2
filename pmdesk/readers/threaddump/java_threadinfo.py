"""Parses `java.lang.management.ThreadInfo.toString()` output — what monitoring agents and applications log
from `ThreadMXBean.dumpAllThreads` (the JDK's ThreadInfo.toString: a `"name" [daemon] prio=N Id=N STATE[ on
LOCK[ owned by "X" Id=N]]` header, at most eight `at …` frames then `...`, `-  blocked on / waiting on /
locked CLS@hash` lines, `Number of locked synchronizers = N` and their `- CLS@hash`). Locks are named as
ThreadInfo names them (class@identity hash); a thread that appears again starts the next dump of a series."""

from __future__ import annotations

import re

from pmdesk.readers.thread_rows import DumpRecord, LockRef, Thread
from pmdesk.readers.threaddump.java_text import REPORTED, frame_of

_HEADER = re.compile(r'^"(?P<name>.*)"(?P<daemon> daemon)? prio=(?P<prio>-?\d+) Id=(?P<id>\d+) (?P<state>[A-Z_]+)'
                     r'(?: on (?P<lock>\S+@[0-9a-f]+))?(?: owned by "(?P<owner>.*)" Id=(?P<owner_id>\d+))?'
                     r'(?P<rest>.*)$')
_LOCK = re.compile(r"^\s+-  (?P<what>blocked on|waiting on|locked) (?P<lock>\S+@[0-9a-f]+)\s*$")
_SYNC = re.compile(r"^\s+- (?P<lock>\S+@[0-9a-f]+)\s*$")
# a frame's class loader and module ('app//', 'java.base@17.0.15/', 'loader/mod@1.0/'); a hidden class's own '/'
# ('Foo$$Lambda$1/0x…') is not one
_ORIGIN = re.compile(r"^(?:[^/@$]*/)?(?P<module>[\w.]+@[^/]*)/|^[^/@$]*//")
TITLE = "ThreadInfo.toString() output (ThreadMXBean.dumpAllThreads)"


def _lock(text: str, relation: str, depth: int) -> LockRef:
    return LockRef(text, text.rsplit("@", 1)[0], relation, depth)


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    seen: set[str] = set()
    owned_by: list[tuple[Thread, str, str]] = []  # (waiter, lock, owner's Id) as each header states it
    in_syncs = False
    for i, line in enumerate(lines):
        if line.startswith('"'):
            m = _HEADER.match(line)
            if m is None:
                th = None
                continue
            if dump is None or m["id"] in seen:
                dump = DumpRecord("java", i + 1, TITLE)
                dumps.append(dump)
                seen = set()
            seen.add(m["id"])
            th = Thread(m["name"], f"#{m['id']}", i + 1, state=m["state"], daemon=m["daemon"] is not None,
                        priority=int(m["prio"]) if len(m["prio"]) < 10 else None,
                        detail=(f"on {m['lock']}" if m["lock"] else "") + m["rest"])
            dump.threads.append(th)
            if m["lock"] and m["owner_id"]:
                owned_by.append((th, m["lock"], f"#{m['owner_id']}"))
            in_syncs = False
            continue
        if th is None or not line.strip():
            continue
        body = line.strip()
        if body.startswith("at "):
            frame = frame_of(body)
            if frame is None:
                problems.append((i + 1, "unreadable stack frame line"))
                continue
            m = _ORIGIN.match(frame.function)  # StackTraceElement.toString: [loader/][module[@version]]/Class.method
            if m is not None:
                frame.function = frame.function[m.end():]
                frame.module = frame.module or m["module"]
            th.frames.append(frame)
        elif body.startswith("Number of locked synchronizers"):
            in_syncs = True
        elif (m := _LOCK.match(line)) is not None:
            relation = {"blocked on": "waiting_to_lock", "locked": "locked"}.get(m["what"])
            if relation is None:  # "waiting on": Object.wait, or a park (a synchronizer's wait)
                relation = "parking" if th.frames and th.frames[-1].function.endswith(".park") else "waiting_on"
            th.locks.append(_lock(m["lock"], relation, len(th.frames) - 1))
        elif in_syncs and (m := _SYNC.match(line)) is not None:
            th.locks.append(_lock(m["lock"], "owns", -1))
        elif body != "...":
            problems.append((i + 1, "unreadable line in a thread"))
    for waiter, lock, owner_id in owned_by:  # the header names the owner, also when its frames were cut at 8
        dump_of = next(d for d in dumps if waiter in d.threads)
        owner = next((t for t in dump_of.threads if t.ident == owner_id), None)
        if owner is not None and not any(lk.lock_id == lock and lk.relation in ("locked", "owns")
                                         for lk in owner.locks):
            owner.locks.append(_lock(lock, "owns" if waiter.state == "WAITING" else "locked", REPORTED))
    return dumps


_ANY = re.compile(r'^"[^"\n]*"(?: daemon)? prio=-?\d+ Id=\d+ [A-Z_]+', re.M)


def sniff(text: str) -> bool:
    return _ANY.search(text) is not None
