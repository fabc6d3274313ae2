"""Parses the thread dumps JDK 21+ writes with `jcmd <pid> Thread.dump_to_file [-format=json]`: every
platform and virtual thread, grouped in thread containers. Locks are named `Class@hash`; the JSON form
of JDK 21 carries no lock data at all (JDK 25 adds `blockedOn`, `waitingOn`, `parkBlocker` and
`monitorsOwned`), so lock views of such a dump can be empty."""

from __future__ import annotations

import json
import re

from pmdesk.readers.thread_rows import DumpRecord, Frame, LockRef, Thread

_HEADER = re.compile(r'^#(?P<tid>\d+) "(?P<name>.*)"(?P<virtual> virtual)? (?P<state>[A-Z_]+)(?: (?P<time>\S+))?\s*$')
_LOCK = re.compile(r"^\s+- (?P<what>locked|waiting to lock|waiting on|parking to wait for) <(?P<id>[^>]*)>")
_RELATION = {"locked": "locked", "waiting to lock": "waiting_to_lock", "waiting on": "waiting_on",
             "parking to wait for": "parking"}
_SNIFF_TEXT = re.compile(r'^#\d+ "[^"\n]*"(?: virtual)? [A-Z_]+ \d{4}-', re.M)


def _frame(text: str) -> Frame:
    """'java.base/java.lang.Thread.sleep(Thread.java:540)' -> Frame."""
    fn, _, loc = text.partition("(")
    module = None
    if "/" in fn:
        module, fn = fn.split("/", 1)
    loc = loc.rstrip(")")
    file, _, line = loc.rpartition(":")
    if file and line.isdigit():
        return Frame(fn, file, int(line), module)
    return Frame(fn, None if loc in ("Native Method", "Unknown Source", "") else loc, None, module)


def _name(name: str, tid: str, virtual: bool) -> str:
    return name or (f"virtual #{tid}" if virtual else f"#{tid}")


def _lock(text: str, relation: str, depth: int) -> LockRef:
    return LockRef(text, text.rsplit("@", 1)[0] if "@" in text else None, relation, depth)


def parse_text(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    title = " ".join(x.strip() for x in lines[:3])
    dump = DumpRecord("java", 1, f"Thread.dump_to_file: {title}", lines[1].strip() if len(lines) > 1 else None)
    th: Thread | None = None
    for i, line in enumerate(lines):
        if line.startswith("#"):
            m = _HEADER.match(line)
            if m:
                virtual = bool(m["virtual"])
                th = Thread(_name(m["name"], m["tid"], virtual), f"#{m['tid']}", i + 1, state=m["state"],
                            detail="virtual" if virtual else "")
                dump.threads.append(th)
            continue
        if th is None or not line.startswith("    "):
            continue
        s = line.strip()
        if s.startswith("at "):
            th.frames.append(_frame(s[3:]))
        elif s.startswith("- "):
            m = _LOCK.match(line)
            if m:
                th.locks.append(_lock(m["id"], _RELATION[m["what"]], len(th.frames) - 1))
        else:
            problems.append((i + 1, "unreadable line in a thread"))
    return [dump]


def parse_json(text: str, problems: list[tuple[int, str]]) -> list[DumpRecord]:
    doc = json.loads(text)["threadDump"]
    dump = DumpRecord("java", 1, f"Thread.dump_to_file -format=json: pid {doc.get('processId')}, "
                                 f"{doc.get('runtimeVersion', '')}", doc.get("time"))
    for container in doc.get("threadContainers", []):
        for t in container.get("threads", []):
            virtual = bool(t.get("virtual"))
            th = Thread(_name(t.get("name", ""), str(t.get("tid", "")), virtual), f"#{t.get('tid', '')}", 1,
                        state=t.get("state", ""), detail="virtual" if virtual else "")
            th.frames = [_frame(s) for s in t.get("stack", [])]
            for owned in t.get("monitorsOwned", []):
                depth = int(owned.get("depth", -1))
                if not -1 <= depth < len(th.frames):  # a damaged file's: the lock is kept, its frame unknown
                    problems.append((1, f"thread {th.name!r} owns monitors at depth {depth}, beyond its "
                                        f"{len(th.frames)} frames"))
                    depth = -1
                th.locks.extend(_lock(lk, "locked", depth) for lk in owned.get("locks", []))
            if t.get("blockedOn"):
                th.locks.append(_lock(t["blockedOn"], "waiting_to_lock", 0))
            if t.get("waitingOn"):
                th.locks.append(_lock(t["waitingOn"], "waiting_on", 0))
            blocker = t.get("parkBlocker")
            if isinstance(blocker, dict) and blocker.get("object"):
                th.locks.append(_lock(blocker["object"], "parking", 0))
            dump.threads.append(th)
    return [dump]


def sniff_text(text: str) -> bool:
    return _SNIFF_TEXT.search(text) is not None


def sniff_json(text: str) -> bool:
    return '"threadDump"' in text[:4096]
