"""Parses HotSpot thread dumps as `jstack -l`, `jcmd <pid> Thread.print [-l]` and SIGQUIT (`kill -3`) print
them — also several of them inside a stdout/stderr log (a series)."""

from __future__ import annotations

import re

from pmdesk.readers.threaddump.model import DumpRecord, Frame, LockRef, Thread

START = "Full thread dump"
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


def _header(line: str, lineno: int) -> Thread | None:
    """The thread a '"name" #12 daemon prio=5 … tid=0x… nid=0x… state [0x…]' line introduces."""
    end = line.rfind('" ')
    if end <= 0 or line.endswith('":'):
        return None
    fields: dict[str, str] = {}
    num = None
    daemon = False
    status = []
    for tok in line[end + 2:].split():
        if tok[0] == "#" and tok[1:].isdigit():
            num = tok[1:]
        elif tok == "daemon" and not status:
            daemon = True
        elif "=" in tok and not status:
            key, _, value = tok.partition("=")
            fields[key] = value
        elif tok[0] == "[":  # the stack address, or a virtual thread's carrier number
            continue
        else:
            status.append(tok)
    cpu, elapsed, prio = fields.get("cpu", ""), fields.get("elapsed", ""), fields.get("prio", "")
    th = Thread(line[1:end], f"#{num}" if num else fields.get("tid", ""), lineno, native_id=fields.get("nid"),
                daemon=daemon, cpu_ms=float(cpu[:-2]) if cpu.endswith("ms") else None,
                elapsed_s=float(elapsed[:-1]) if elapsed.endswith("s") else None,
                priority=int(prio) if prio.lstrip("-").isdigit() else None, java_thread=num is not None)
    th.detail = " ".join(status)
    if not th.java_thread:  # VM threads print no state line
        th.state = "RUNNABLE" if th.detail.startswith("runnable") else "VM"
    return th


def _lock_line(line: str) -> tuple[str, str | None, str] | None:
    """(lock id, class, relation) of a '- locked <0x…> (a …)' line ('owns' for an ownable synchronizer)."""
    m = _LOCK.match(line)
    if m is not None:
        if m["what"] == "eliminated" or not m["id"].startswith("0x"):
            return None
        return m["id"], m["cls"], _RELATION[m["what"]]
    m = _OWNABLE.match(line)
    return (m["id"], m["cls"], "owns") if m is not None else None


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    in_report = in_ownable = False
    wanted: LockRef | None = None
    frames: dict[str, Frame] = {}  # one Frame per distinct frame text: a series repeats them
    lock_lines: dict[str, tuple[str, str | None, str] | None] = {}  # likewise for lock lines
    for i, line in enumerate(lines):
        if not line:
            continue
        c = line[0]
        if c == "\t" and th is not None and not in_report:  # the bulk of a dump: frames and locks
            if line.startswith("\tat "):
                frame = frames.get(line)
                if frame is None:
                    p = line.find("(")
                    if p < 0 or not line.rstrip().endswith(")"):
                        problems.append((i + 1, "unreadable stack frame line"))
                        continue
                    frame = frames[line] = Frame(line[4:p].strip(), *_location(line.rstrip()[p + 1:-1]))
                th.frames.append(frame)
                continue
            if line.startswith("\t- "):
                parsed = lock_lines.get(line, False)
                if parsed is False:
                    parsed = lock_lines[line] = _lock_line(line)
                if parsed is not None:
                    lock_id, cls, relation = parsed
                    if relation == "owns" and not in_ownable:
                        continue
                    if relation != "owns" and in_ownable:
                        continue
                    th.locks.append(LockRef(lock_id, cls, relation, -1 if relation == "owns" else len(th.frames) - 1))
                continue
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
            th = _header(line, i + 1)
            if th is None:
                continue
            dump.threads.append(th)
            in_ownable = False
            continue
        if th is None:
            if line.startswith(_DEADLOCK_REPORT):
                in_report = True
            continue
        if c in " \t":
            s = line.lstrip()
            if s.startswith("java.lang.Thread.State:"):
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
