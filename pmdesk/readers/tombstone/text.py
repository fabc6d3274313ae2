"""A text tombstone (/data/tombstones/tombstone_NN, every Android version) read into its parts. The layout is
AOSP's renderer's (system/core debuggerd/libdebuggerd/tombstone_proto_to_text.cpp, and tombstone.cpp before
Android 12): the `*** *** ***` banner, header lines (Build fingerprint, Revision, ABI, Timestamp, Process
uptime, Executable, Cmdline, `pid: P, tid: T, name: N  >>> CMD <<<`, uid, tagged_addr_ctrl, pac_enabled_keys,
esr), `signal N (NAME), code C (NAME), fault addr A`, Abort message, Cause lines, registers, the backtrace
(`#NN pc REL_PC  FILE (offset 0x…) (FUNCTION+OFF) (BuildId: …)`, its NOTE: lines), memory near registers, the
memory map (with the `--->` fault line), logcat, every other thread after `--- --- ---`, open files. Lines are
read by what they say; unknown ones are kept as header facts or skipped."""

from __future__ import annotations

import re

from pmdesk.readers.tombstone.parts import TFrame, TMapping, Tomb, TThread

BANNER = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"
THREAD_SEP = "--- --- --- --- --- --- --- --- --- --- --- --- --- --- --- ---"
PID = re.compile(r"^pid: (\d{1,10}), tid: (\d{1,10}), name: (.*?)\s+>>> (.*) <<<$")
SIGNAL = re.compile(r"^signal (-?\d{1,10}) \((\w+)\), code (-?\d{1,10}) \(([^)]*)\)(?:, fault addr (\S+))?")
FRAME = re.compile(r"^#(\d{1,9}) pc ([0-9a-fA-F]{1,16})\s+(.*)$")
BUILD_ID = re.compile(r" \(BuildId: ([0-9a-fA-F]+)\)$")
OFFSET = re.compile(r" \(offset 0x([0-9a-fA-F]{1,16})\)$")
FUNCTION_OFFSET = re.compile(r"^(.*)\+(\d{1,19})$")
REGISTER = re.compile(r"\b([a-z][a-z0-9]{0,4})\s+([0-9a-fA-F]{8,16})\b")
MAPPING = re.compile(r"^(?:--->)?\s*([0-9a-fA-F']+)-([0-9a-fA-F']+)\s+([r-][w-][x-])\s+([0-9a-fA-F]+)\s+"
                     r"([0-9a-fA-F]+)(?:\s+(.*?))?(?: \(BuildId: ([0-9a-fA-F]+)\))?"
                     r"(?: \(load bias 0x[0-9a-fA-F]+\))?$")
HEADER = re.compile(r"^([A-Za-z][A-Za-z _]*?): (.*)$")
HEAP_STACK = re.compile(r"^(de)?allocated by thread (\d+):$")
LOG_START = re.compile(r"^--------- (?:tail end of |beginning of )?log (\w+)")


def _function_part(rest: str) -> tuple[str, str | None]:
    """Split 'FILE (FUNCTION+OFF)' at the function's parenthesis (function names hold parentheses)."""
    if not rest.endswith(")") or rest.endswith(" (deleted)"):
        return rest, None
    depth = 0
    for i in range(len(rest) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(rest[i], 0)
        if depth == 0:
            if i > 0 and rest[i - 1] == " ":
                return rest[:i - 1], rest[i + 1:-1]
            return rest, None
    return rest, None


def frame_of(line: str) -> TFrame | None:
    m = FRAME.match(line.strip())
    if m is None:
        return None
    rest = m.group(3).strip()
    build_id = None
    b = BUILD_ID.search(rest)
    if b:
        build_id, rest = b.group(1).lower(), rest[:b.start()]
    function = None
    if not OFFSET.search(rest):  # '(offset 0x…)' last: no function name follows it
        rest, function = _function_part(rest)
    offset = None
    o = OFFSET.search(rest)
    if o:
        offset, rest = int(o.group(1), 16), rest[:o.start()]
    f = TFrame(int(m.group(2), 16), rest.strip(), build_id=build_id, file_map_offset=offset)
    if function:
        fo = FUNCTION_OFFSET.match(function)
        f.function, f.function_offset = (fo.group(1), int(fo.group(2))) if fo else (function, None)
    return f


def _address(text: str) -> int | None:
    """A map line's address ('0000007f'1234abcd' as debuggerd splits it); None past 64 bits (damage)."""
    v = int(text.replace("'", ""), 16)
    return v if v < 1 << 64 else None


def parse_text(text: str) -> Tomb:
    t = Tomb()
    current: TThread | None = None
    block = "header"
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if stripped == BANNER:
            continue
        if stripped == THREAD_SEP:
            current, block = None, "other"  # another thread's lines: its header is not the process's
            continue
        m = PID.match(stripped)
        if m:
            current = TThread(int(m.group(2)), m.group(3))
            t.threads.append(current)
            if t.pid is None:
                t.pid, t.tid, t.command = int(m.group(1)), int(m.group(2)), m.group(4)
            block = "thread"
            continue
        if not stripped:
            if block in ("backtrace", "memory", "map"):
                block = "thread"
            continue
        if stripped.startswith("memory map ("):
            block = "map"
            continue
        log = LOG_START.match(stripped)
        if log:
            block = "log"
            continue
        if stripped == "open files:":
            block = "files"
            continue
        if block == "log":
            t.log.append(line)
            continue
        if block == "files":
            t.open_files.append(stripped)
            continue
        if block == "map":
            mm = MAPPING.match(stripped)
            start, last = (_address(mm.group(1)), _address(mm.group(2))) if mm else (None, None)
            if mm and start is not None and last is not None and len(mm.group(4)) <= 16:
                end = last + 1
                t.mappings.append(TMapping(start, end, int(mm.group(4), 16), mm.group(3), (mm.group(6) or "").strip(),
                                           mm.group(7).lower() if mm.group(7) else None))
            continue
        if stripped == "backtrace:":
            block = "backtrace"
            continue
        heap = HEAP_STACK.match(stripped)
        if heap:  # a memory error's allocation or deallocation stack (GWP-ASan, Scudo, MTE)
            current, block = t.heap_stack(bool(heap.group(1)), int(heap.group(2))), "backtrace"
            continue
        if block == "backtrace" and current is not None:
            f = frame_of(stripped)
            if f is not None:
                current.frames.append(f)
            elif stripped.startswith("NOTE:"):
                current.notes.append(stripped)
            continue
        if stripped.startswith(("memory near ", "stack:", "code around ")):
            block = "memory"
            continue
        if block == "memory":
            continue
        s = SIGNAL.match(stripped)
        if s:
            t.signal, t.signal_name = int(s.group(1)), s.group(2)
            t.code, t.code_name = int(s.group(3)), s.group(4)
            fault = (s.group(5) or "").rstrip(",")
            t.fault_address = int(fault, 16) if re.fullmatch(r"0x[0-9a-fA-F]{1,16}", fault) else None
            t.facts.append(("Signal", stripped))
            continue
        if current is not None and raw.startswith("    ") and REGISTER.search(stripped) and ":" not in stripped:
            for name, value in REGISTER.findall(stripped):
                current.registers[name] = int(value, 16)
            continue
        h = HEADER.match(stripped)
        if h:
            key, value = h.group(1), h.group(2).strip()
            if key == "Abort message":
                t.abort_message = value.strip("'")
            elif key == "Cause":
                t.causes.append(value)
            elif key == "Build fingerprint":
                t.fingerprint = value.strip("'")
            elif key == "ABI":
                t.abi = value.strip("'")
            elif key == "Timestamp":
                t.timestamp = value
            if block != "other" and len(t.threads) <= 1:  # the process's header, not another thread's
                t.facts.append((key, value.strip("'")))
            continue
    return t
