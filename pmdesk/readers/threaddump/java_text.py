"""Parses HotSpot thread dumps as `jstack -l`, `jcmd <pid> Thread.print [-l]` and SIGQUIT (`kill -3`) print
them — also several of them inside a stdout/stderr log (a series), frames indented with spaces instead of the
JVM's tab, and threads copied without the dump's header (an excerpt)."""

from __future__ import annotations

import re

from pmdesk.readers.thread_rows import DumpRecord, Frame, LockRef, Thread

START = "Full thread dump"
_LOCK = re.compile(r"^\s+- (?P<what>locked|waiting to lock|waiting on|parking to wait for|"
                   r"waiting to re-lock in wait\(\)|eliminated)\s+<(?P<id>[^>]*)>(?: \(a (?P<cls>[^)]*)\))?")
_OWNABLE = re.compile(r"^\s+- <(?P<id>0x[0-9a-f]+)> \(a (?P<cls>[^)]*)\)")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*$")
_RELATION = {"locked": "locked", "waiting to lock": "waiting_to_lock", "waiting on": "waiting_on",
             "parking to wait for": "parking", "waiting to re-lock in wait()": "waiting_to_lock"}
# '"name" #12 daemon prio=5 os_prio=0 cpu=… tid=0x… nid=0x… state': a thread of a dump pasted without its header
_JSTACK_HEADER = re.compile(r'^"[^"\n]*" (?:#\d+ )?.*\btid=0x[0-9a-f]+ nid=', re.M)
EXCERPT = "thread dump excerpt (without its 'Full thread dump' header)"
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


def frame_of(body: str) -> Frame | None:
    """The frame of an 'at pkg.Class.method(File.java:12)' line (its indent taken off); None when unreadable."""
    p = body.find("(")
    if p < 0 or not body.rstrip().endswith(")"):
        return None
    return Frame(body[3:p].strip(), *_location(body.rstrip()[p + 1:-1]))


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
    waiter = ""
    reports: list[tuple[DumpRecord, list[list[tuple[str, LockRef, str]]]]] = []  # each dump's deadlock blocks
    excerpt = not any(START in line for line in lines)
    frames: dict[str, Frame] = {}  # one Frame per distinct frame text: a series repeats them
    lock_lines: dict[str, tuple[str, str | None, str] | None] = {}  # likewise for lock lines
    for i, line in enumerate(lines):
        if not line:
            continue
        c = line[0]
        if c in " \t" and th is not None and not in_report:  # the bulk of a dump: frames and locks
            body = line.lstrip()  # a tab as the JVM prints it, or spaces (a log shipper's, a ticket's)
            if body.startswith("at "):
                frame = frames.get(body)
                if frame is None:
                    frame = frame_of(body)
                    if frame is None:
                        problems.append((i + 1, "unreadable stack frame line"))
                        continue
                    frames[body] = frame
                th.frames.append(frame)
                continue
            if body.startswith("- "):
                parsed = lock_lines.get(body, False)
                if parsed is False:
                    parsed = lock_lines[body] = _lock_line(" " + body)
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
            if excerpt and c == '"' and _JSTACK_HEADER.match(line):  # threads copied without the dump's header
                dump = DumpRecord("java", i + 1, EXCERPT)
                dumps.append(dump)
            else:
                continue
        if in_report:
            if _REPORT_END.match(line):
                in_report = False
            elif line.startswith(_DEADLOCK_REPORT[0]):
                reports[-1][1].append([])
            elif c == '"' and line.endswith('":'):
                waiter = line[1:-2]
            elif (m := _REPORT_WAIT.match(line)) is not None:
                wanted = (LockRef(m["sync"], m["scls"], "owns", REPORTED) if m["sync"]
                          else LockRef(m["obj"], m["ocls"], "locked", REPORTED))
            elif wanted is not None and (m := _REPORT_HELD.match(line)) is not None:
                reports[-1][1][-1].append((waiter, wanted, m["name"]))
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
                in_report = _report_starts(reports, dump, line)
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
            in_report = _report_starts(reports, dump, line)
            th = None
        elif line.startswith(("JNI global refs", "Heap", "Threads class SMR")):
            th = None
    for d, blocks in reports:
        for block in blocks:
            _owners_from_report(d, block)
    return dumps


def _report_starts(reports: list[tuple[DumpRecord, list[list[tuple[str, LockRef, str]]]]], dump: DumpRecord,
                   line: str) -> bool:
    """A deadlock report begins at `line`: its first block (one per 'Found one Java-level deadlock')."""
    if not reports or reports[-1][0] is not dump:
        reports.append((dump, []))
    if line.startswith(_DEADLOCK_REPORT[0]):
        reports[-1][1].append([])
    return True


def _owners_from_report(dump: DumpRecord, block: list[tuple[str, LockRef, str]]) -> None:
    """The owners one deadlock block of the JVM's report states ('"A": waiting for L1 which is held by "B"'),
    added to the threads whose stacks do not show them (ownable synchronizers without -l). The report names
    threads only by name, and names repeat (pools reuse them, three cycles of "DeadlockThread-A"): the holder
    is the thread of that name that waits for what the block says it waits for."""
    waits = {name: lock.lock_id for name, lock, _holder in block}
    for _name, lock, holder in block:
        named = [t for t in dump.threads if t.name == holder]
        wanted = waits.get(holder)
        owner = next((t for t in named if any(lk.lock_id == wanted and lk.relation in ("waiting_to_lock", "parking")
                                              for lk in t.locks)), None)
        if owner is None and len(named) == 1:
            owner = named[0]
        if owner is not None and not any(lk.lock_id == lock.lock_id and lk.relation in ("owns", "locked")
                                         for lk in owner.locks):
            owner.locks.append(lock)


def sniff(text: str) -> bool:
    """A HotSpot dump's header, or threads copied without it (a jstack thread header and a state line)."""
    return START in text or (_JSTACK_HEADER.search(text) is not None and "java.lang.Thread.State:" in text)
