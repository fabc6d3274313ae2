"""A protobuf tombstone (Android 12+: what ApplicationExitInfo.getTraceInputStream() gives an app, raw or
gzip-compressed) read into its parts, by field number. Numbers from AOSP's system/core
debuggerd/proto/tombstone.proto (Android 12 to 16: Tombstone 1-25 — guest threads after the others, crash
details and page size as facts; the fields later releases add are skipped)."""

from __future__ import annotations

from pmdesk.readers.protobuf_wire import LEN, Field, fields
from pmdesk.readers.tombstone.parts import ARCHES, TFrame, TMapping, Tomb, TThread

PRIORITIES = "??VDIWEFS"  # LogMessage.priority as logcat prints it (android/log.h: 2 = VERBOSE … 7 = FATAL)


def _message(f: Field) -> list[Field]:
    return list(f.message()) if f.wire == LEN else []


def _frame(f: Field) -> TFrame:
    fr = TFrame(0, "")
    for x in _message(f):
        n = x.number
        if n == 1:
            fr.rel_pc = x.value
        elif n == 2:
            fr.pc = x.value
        elif n == 4 and x.wire == LEN:
            fr.function = x.text or None
        elif n == 5:
            fr.function_offset = x.value
        elif n == 6 and x.wire == LEN:
            fr.file = x.text
        elif n == 7:
            fr.file_map_offset = x.value or None
        elif n == 8 and x.wire == LEN:
            fr.build_id = x.text.lower() or None
    return fr


def _thread(f: Field) -> TThread:
    t = TThread(0)
    for x in _message(f):
        n = x.number
        if n == 1:
            t.tid = x.signed & 0xFFFFFFFF
        elif n == 2 and x.wire == LEN:
            t.name = x.text
        elif n == 3:
            name, value = "", 0
            for r in _message(x):
                if r.number == 1 and r.wire == LEN:
                    name = r.text
                elif r.number == 2:
                    value = r.value
            if name:
                t.registers[name] = value
        elif n == 4:
            t.frames.append(_frame(x))
        elif n == 7 and x.wire == LEN:
            t.notes.append(x.text)
        elif n == 9 and x.wire == LEN:  # unreadable_elf_files
            t.notes.append(f"NOTE: unreadable ELF file: {x.text}")
    return t


def _mapping(f: Field) -> TMapping:
    m = TMapping(0, 0, 0, "---")
    perms = ["-", "-", "-"]
    for x in _message(f):
        n = x.number
        if n == 1:
            m.start = x.value
        elif n == 2:
            m.end = x.value
        elif n == 3:
            m.offset = x.value
        elif n in (4, 5, 6) and x.value:
            perms[n - 4] = "rwx"[n - 4]
        elif n == 7 and x.wire == LEN:
            m.name = x.text
        elif n == 8 and x.wire == LEN:
            m.build_id = x.text.lower() or None
    m.perms = "".join(perms)
    return m


def _signal(t: Tomb, f: Field) -> None:
    has_fault, fault = False, 0
    for x in _message(f):
        n = x.number
        if n == 1:
            t.signal = x.signed
        elif n == 2 and x.wire == LEN:
            t.signal_name = x.text
        elif n == 3:
            t.code = x.signed
        elif n == 4 and x.wire == LEN:
            t.code_name = x.text
        elif n == 8:
            has_fault = bool(x.value)
        elif n == 9:
            fault = x.value
    t.fault_address = fault if has_fault else None


def _logs(t: Tomb, f: Field) -> None:
    for x in _message(f):
        if x.number != 2:
            continue
        ts, pid, tid, prio, tag, msg = "", 0, 0, 0, "", ""
        for y in _message(x):
            n = y.number
            if n == 1 and y.wire == LEN:
                ts = y.text
            elif n == 2:
                pid = y.value
            elif n == 3:
                tid = y.value
            elif n == 4:
                prio = y.value
            elif n == 5 and y.wire == LEN:
                tag = y.text
            elif n == 6 and y.wire == LEN:
                msg = y.text
        level = PRIORITIES[prio] if prio < len(PRIORITIES) else "?"
        t.log += [f"{ts} {pid:5} {tid:5} {level} {tag:8}: {part}" for part in msg.rstrip("\n").split("\n")]


def _cause(t: Tomb, f: Field) -> None:
    """A Cause: its words, and for a memory error (GWP-ASan, Scudo) the heap object's allocation and
    deallocation stacks (MemoryError.heap: allocation_tid 3, allocation_backtrace 4, deallocation 5 and 6)."""
    for x in _message(f):
        if x.number == 1 and x.wire == LEN and x.text:
            t.causes.append(x.text)
        elif x.number == 2:
            for heap in (y for y in _message(x) if y.number == 3):
                tids = {3: 0, 5: 0}
                frames: dict[int, list[TFrame]] = {4: [], 6: []}
                for z in _message(heap):
                    if z.number in tids:
                        tids[z.number] = z.value
                    elif z.number in frames:
                        frames[z.number].append(_frame(z))
                for tid_field, frames_field, dealloc in ((5, 6, True), (3, 4, False)):
                    if frames[frames_field]:
                        t.heap_stack(dealloc, tids[tid_field]).frames = frames[frames_field]


def parse_proto(data: bytes) -> Tomb:
    """The tombstone in `data` (raw protobuf); WireError when it is damaged."""
    t = Tomb()
    command: list[str] = []
    threads: dict[int, TThread] = {}
    guests: list[TThread] = []
    arch = 0
    for f in fields(data):
        n = f.number
        if n == 1:
            arch = f.value
        elif n == 2 and f.wire == LEN:
            t.fingerprint = f.text
        elif n == 3 and f.wire == LEN:
            t.facts.append(("Revision", f.text))
        elif n == 4 and f.wire == LEN:
            t.timestamp = f.text
        elif n == 5:
            t.pid = f.value
        elif n == 6:
            t.tid = f.value
        elif n == 7:
            t.facts.append(("uid", str(f.value)))
        elif n == 8 and f.wire == LEN:
            t.facts.append(("SELinux label", f.text))
        elif n == 9 and f.wire == LEN:
            command.append(f.text)
        elif n == 20:
            t.facts.append(("Process uptime", f"{f.value}s"))
        elif n == 10:
            _signal(t, f)
        elif n == 14 and f.wire == LEN:
            t.abort_message = f.text or None
        elif n == 15:
            _cause(t, f)
        elif n in (16, 25):  # threads, guest_threads (an emulated guest's): map<uint32, Thread>, key 1, value 2
            key, thread = 0, None
            for x in _message(f):
                if x.number == 1:
                    key = x.value
                elif x.number == 2:
                    thread = _thread(x)
            if thread is not None and n == 16:
                threads[key] = thread
            elif thread is not None:
                thread.name = f"guest: {thread.name or key}"
                guests.append(thread)
        elif n == 17:
            t.mappings.append(_mapping(f))
        elif n == 18:
            _logs(t, f)
        elif n == 19:
            fd, path, owner = 0, "", ""
            for x in _message(f):
                if x.number == 1:
                    fd = x.signed
                elif x.number == 2 and x.wire == LEN:
                    path = x.text
                elif x.number == 3 and x.wire == LEN:
                    owner = x.text
            t.open_files.append(f"fd {fd}: {path} ({owner or 'unowned'})")
        elif n == 22:
            t.facts.append(("Page size", str(f.value)))
        elif n == 24:
            t.facts.append(("Guest ABI", ARCHES.get(f.value, f"arch {f.value}")))
        elif n == 21:  # crash_details: name and data, bytes an app attached (android_crash_detail_register)
            parts = {x.number: x.bytes.decode("utf-8", "replace") for x in _message(f) if x.wire == LEN}
            t.facts.append((f"Crash detail {parts.get(1, '?')}", parts.get(2, "")))
    t.abi = ARCHES.get(arch, f"arch {arch}")
    t.command = " ".join(command) or None
    crashed = threads.pop(t.tid, None) if t.tid is not None else None
    t.threads = ([crashed] if crashed else []) + [threads[k] for k in sorted(threads)] + guests
    header = [("Build fingerprint", t.fingerprint or ""), ("ABI", t.abi), ("Timestamp", t.timestamp or ""),
              ("Cmdline", t.command or "")]
    t.facts = [(k, v) for k, v in header if v] + t.facts
    return t
