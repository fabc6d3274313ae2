"""Parses HotSpot thread dumps as `jstack -l`, `jcmd <pid> Thread.print [-l]` and SIGQUIT (`kill -3`) print
them — also several of them inside a stdout/stderr log (a series)."""

from __future__ import annotations

import re

from pmdesk.readers.threaddump.model import DumpRecord, Frame, LockRef, Thread

START = "Full thread dump"
_HEADER = re.compile(
    r'^"(?P<name>.*)"(?: #(?P<num>\d+))?(?: \[(?P<vnum>\d+)\])?(?P<daemon> daemon)?(?: prio=(?P<prio>-?\d+))?'
    r'(?: os_prio=\S+)?(?: cpu=(?P<cpu>[\d.]+)ms)?(?: elapsed=(?P<el>[\d.]+)s)?(?: allocated=\S+)?'
    r'(?: defined_classes=\S+)?(?: tid=(?P<tid>\S+))?(?: nid=(?P<nid>\S+))?\s*(?P<status>.*?)\s*'
    r'(?:\[0x[0-9a-f]+\])?\s*$')
_FRAME = re.compile(r"^\s+at (?P<fn>[^(]+)\((?P<loc>.*)\)\s*$")
_LOCK = re.compile(r"^\s+- (?P<what>locked|waiting to lock|waiting on|parking to wait for|"
                   r"waiting to re-lock in wait\(\)|eliminated)\s+<(?P<id>[^>]*)>(?: \(a (?P<cls>[^)]*)\))?")
_OWNABLE = re.compile(r"^\s+- <(?P<id>0x[0-9a-f]+)> \(a (?P<cls>[^)]*)\)")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*$")
_RELATION = {"locked": "locked", "waiting to lock": "waiting_to_lock", "waiting on": "waiting_on",
             "parking to wait for": "parking", "waiting to re-lock in wait()": "waiting_to_lock"}
_DEADLOCK_REPORT = ("Found one Java-level deadlock", "Found a total of")
REPORTED = -2  # LockRef.depth of an ownership only the JVM's deadlock report states
_REPORT_END = re.compile(r"^Found \d+ deadlocks?\.")
# The JVM's own deadlock report names lock owners even when the stacks do not (no -l: no ownable synchronizers)
_REPORT_WAIT = re.compile(r"^\s+waiting (?:for ownable synchronizer (?P<sync>0x[0-9a-f]+), \(a (?P<scls>[^)]*)\)|"
                          r"to lock monitor \S+ \(object (?P<obj>0x[0-9a-f]+), a (?P<ocls>[^)]*)\))")
_REPORT_HELD = re.compile(r'^\s+which is held by "(?P<name>.*)"')


def _location(loc: str) -> tuple[str | None, int | None, str | None]:
    """'java.base@17.0.15/Thread.java:840' -> (file, line, module)."""
    module = None
    if "/" in loc and not loc.startswith("/"):
        module, loc = loc.split("/", 1)
    if loc in ("Native Method", "Unknown Source"):
        return None, None, module
    file, _, line = loc.rpartition(":")
    if file and line.isdigit():
        return file, int(line), module
    return loc or None, None, module


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    in_report = in_ownable = False
    wanted: LockRef | None = None
    for i, raw in enumerate(lines):
        line = raw.rstrip("\n")
        if not line:
            continue
        c = line[0]
        if c == "F" and line.startswith(START):
            prev = lines[i - 1].strip() if i else ""
            dump = DumpRecord("java", i + 1, line.strip(), prev if _TIMESTAMP.match(prev) else None)
            dumps.append(dump)
            th, in_report, in_ownable = None, False, False
            continue
        if dump is None:
            continue
        if in_report:
            if _REPORT_END.match(line):
                in_report = False
            elif (m := _REPORT_WAIT.match(line)) is not None:
                wanted = (LockRef(m["sync"], m["scls"], "owns", REPORTED) if m["sync"]
                          else LockRef(m["obj"], m["ocls"], "locked", REPORTED))
            elif wanted is not None and (m := _REPORT_HELD.match(line)) is not None:
                owner = next((t for t in dump.threads if t.name == m["name"]), None)
                if owner is not None and not any(lk.lock_id == wanted.lock_id and lk.relation in ("owns", "locked")
                                                 for lk in owner.locks):
                    owner.locks.append(wanted)
                wanted = None
            continue
        if c == '"':
            m = _HEADER.match(line)
            if m is None or line.endswith('":'):
                continue
            g = m.groupdict()
            th = Thread(g["name"], f"#{g['num']}" if g["num"] else (g["tid"] or ""), i + 1,
                        native_id=g["nid"], daemon=bool(g["daemon"]), cpu_ms=float(g["cpu"]) if g["cpu"] else None,
                        elapsed_s=float(g["el"]) if g["el"] else None,
                        priority=int(g["prio"]) if g["prio"] else None, java_thread=g["num"] is not None)
            th.detail = g["status"] or ""
            if not th.java_thread:  # VM threads print no state line
                th.state = "RUNNABLE" if th.detail.startswith("runnable") else "VM"
            dump.threads.append(th)
            in_ownable = False
            continue
        if th is None:
            if line.startswith(_DEADLOCK_REPORT):
                in_report = True
            continue
        if c in " \t":
            s = line.lstrip()
            if s.startswith("at "):
                m = _FRAME.match(line)
                if m:
                    file, ln, module = _location(m["loc"])
                    th.frames.append(Frame(m["fn"].strip(), file, ln, module))
                else:
                    problems.append((i + 1, "unreadable stack frame line"))
            elif s.startswith("- "):
                if in_ownable:
                    m = _OWNABLE.match(line)
                    if m:
                        th.locks.append(LockRef(m["id"], m["cls"], "owns", -1))
                    continue
                m = _LOCK.match(line)
                if m and m["what"] != "eliminated" and m["id"].startswith("0x"):
                    th.locks.append(LockRef(m["id"], m["cls"], _RELATION[m["what"]], len(th.frames) - 1))
            elif s.startswith("java.lang.Thread.State:"):
                state = s.split(":", 1)[1].strip()
                th.state, _, rest = state.partition(" ")
                th.detail = rest.strip("() ") or th.detail
            elif s.startswith("Locked ownable synchronizers:"):
                in_ownable = True
            continue
        if line.startswith(_DEADLOCK_REPORT):
            in_report = True
            th = None
        elif line.startswith(("JNI global refs", "Heap", "Threads class SMR")):
            th = None
    return dumps


def sniff(text: str) -> bool:
    return START in text
