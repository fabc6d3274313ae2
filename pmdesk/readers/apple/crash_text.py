"""A legacy Apple crash report (`.crash` text: macOS Report Version 12, iOS 104, with or without the IPS
metadata line first) read into the crash model. Read by what each line says, not by column: frames in both
forms (`symbol + offset`, `0xbase + offset`, or already symbolicated `symbol (in Image) (file:line)`),
Binary Images lines with any of the UUID spellings (<32 hex>, dashed upper or lower case), with or without
an architecture, `+` marking the app's own images, and the Last Exception Backtrace (frame lines, or the
older one-line list of addresses)."""

from __future__ import annotations

import re

from pmdesk.base.crash import LAST_EXCEPTION_TID, Cause, Crash, Frame, Module, Problem, Process, Section, Thread
from pmdesk.base.progress import Progress
from pmdesk.native.macho import uuid_key
from pmdesk.readers.apple.ips import FAULT_AT, SIGNALS
from pmdesk.readers.apple.names import headline
from pmdesk.readers.apple.symbols import ImageId, ReportSymbols

HEADER = re.compile(r"^([A-Za-z][A-Za-z /()-]*?):\s+(.*)$")
THREAD = re.compile(r"^Thread (\d+)( Crashed)?:{1,2}\s*(.*)$")
THREAD_NAME = re.compile(r"^Thread (\d+) name:\s*(.*)$")
STATE = re.compile(r"^Thread (\d+) crashed with (.*) Thread State")
FRAME = re.compile(r"^(\d+)\s+(.+?)\s+(0x[0-9a-fA-F]+)\s+(.*)$")
ADDR_FORM = re.compile(r"^(0x[0-9a-fA-F]+) \+ (\d+)$")
SYMBOL_FORM = re.compile(r"^(.*?) \+ (\d+)(?: \((.+):(\d+)\))?$")
SYMBOLICATED = re.compile(r"^(.*?)(?: \(in (.+?)\))?(?: \+ (\d+))? \(([^()]+):(\d+)\)$")
REGISTER = re.compile(r"\b([a-z][a-z0-9]*):\s+(0x[0-9a-fA-F]+)")
IMAGE = re.compile(r"^\s*(0x[0-9a-fA-F]+)\s*-\s*(0x[0-9a-fA-F]+|\?\?\?)\s+(.*?)\s*"
                   r"<([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})>"
                   r"\s*(.*)$")
ARCHES = {"arm64", "arm64e", "arm64_32", "armv7", "armv7s", "armv7k", "x86_64", "x86_64h", "i386", "ppc"}
OLD_LEB = re.compile(r"^\((0x[0-9a-fA-F]+(?:\s+0x[0-9a-fA-F]+)*)\)$")
SECTIONS = ("Application Specific Information", "Application Specific Backtrace", "VM Region Info",
            "Kernel Triage", "VM Region Summary", "External Modification Summary")


def _image(line: str) -> Module | None:
    m = IMAGE.match(line)
    if m is None:
        return None
    start = int(m.group(1), 16)
    end = int(m.group(2), 16) + 1 if m.group(2) != "???" else start
    words = m.group(3)
    version = None
    if words.endswith(")") and "(" in words:  # '(1.0)', '(*)', '(400.9.4 - 1.0.0)'
        depth = 0
        for i in range(len(words) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(words[i], 0)
            if depth == 0:
                version, words = words[i + 1:-1], words[:i].rstrip()
                break
    parts = words.split()
    arch = parts.pop() if len(parts) > 1 and parts[-1] in ARCHES else None
    name = " ".join(parts).lstrip("+").strip() or "???"
    mod = Module(name, start, end, start, m.group(5).strip() or None, uuid_key(m.group(4)), arch=arch)
    mod.debug_id = version if version not in (None, "*") else None  # the report's version words
    return mod


def _frame(line: str) -> Frame | None:
    m = FRAME.match(line)
    if m is None:
        return None
    module, pc, rest = m.group(2).strip(), int(m.group(3), 16), m.group(4).strip()
    f = Frame(pc, module, trust="symbolicated-by-report")
    a = ADDR_FORM.match(rest)
    if a:
        f.module_offset = int(a.group(2))
        return f
    s = SYMBOLICATED.match(rest)
    if s:
        f.function, f.file, f.line = s.group(1), s.group(4), int(s.group(5))
        f.symbol_offset = int(s.group(3)) if s.group(3) else None
        return f
    s = SYMBOL_FORM.match(rest)
    if s:
        f.function, f.symbol_offset = s.group(1), int(s.group(2))
        if s.group(3):
            f.file, f.line = s.group(3), int(s.group(4))
        return f
    f.function = rest or None
    return f


def text_crash(text: str, folders: list[str], progress: Progress | None = None) -> Crash:
    """The crash model of a .crash report's text, its unnamed frames looked up in dSYMs under `folders`."""
    head: dict[str, str] = {}
    threads: dict[int, Thread] = {}
    order: list[Thread] = []
    modules: list[Module] = []
    sections: list[Section] = []
    leb: list[Frame] = []
    problems: list[Problem] = []
    current: list[Frame] | None = None
    block: str | None = None
    state_of: Thread | None = None
    lines = text.split("\n")

    def thread(n: int) -> Thread:
        if n not in threads:
            threads[n] = Thread(n)
            order.append(threads[n])
        return threads[n]

    for raw in lines:
        line = raw.rstrip()
        if not line:
            current = None
            state_of = None
            if block in SECTIONS and block != "VM Region Info":
                block = None
            continue
        m = THREAD_NAME.match(line)
        if m:
            t = thread(int(m.group(1)))
            _name_thread(t, m.group(2))
            continue
        m = THREAD.match(line)
        if m:
            t = thread(int(m.group(1)))
            t.crashed = t.crashed or bool(m.group(2))
            if m.group(3):
                _name_thread(t, m.group(3))
            current, block, state_of = t.frames, None, None
            continue
        m = STATE.match(line)
        if m:
            state_of, current, block = thread(int(m.group(1))), None, None
            continue
        if line.startswith("Last Exception Backtrace:"):
            current, block = leb, None
            continue
        if line.startswith("Binary Images:"):
            block, current = "images", None
            continue
        if block == "images":
            mod = _image(line)
            if mod is not None:
                modules.append(mod)
            continue
        if state_of is not None:
            for name, value in REGISTER.findall(line):
                state_of.registers[name] = int(value, 16)
            continue
        if current is not None:
            f = _frame(line)
            if f is not None:
                current.append(f)
                continue
            old = OLD_LEB.match(line.strip())
            if old and current is leb:
                leb += [Frame(int(a, 16), trust="symbolicated-by-report") for a in old.group(1).split()]
                continue
        title = next((s for s in SECTIONS if line.startswith(s + ":")), None)
        if title:
            block = title
            rest = line[len(title) + 1:].strip()
            sections.append(Section(title, rest))
            continue
        if block in SECTIONS and sections:
            sections[-1].text = (sections[-1].text + "\n" + line).strip("\n")
            continue
        h = HEADER.match(line)
        if h and h.group(1) not in head:
            head[h.group(1)] = h.group(2).strip()
    crashed_no = _crashed_number(head)
    if crashed_no is not None and crashed_no in threads:
        threads[crashed_no].crashed = True
    if leb:
        order.insert(0, Thread(LAST_EXCEPTION_TID, "Last Exception Backtrace", frames=leb))
    symbols = ReportSymbols([ImageId(m.name, m.build_id) for m in modules], folders, progress)
    try:
        _symbolicate(order, modules, symbols)
    finally:
        symbols.close()
    facts = [f"{k}: {head[k]}" for k in ("Hardware Model", "Identifier", "Incident Identifier", "Termination Reason",
                                         "Terminating Process", "Parent Process") if head.get(k)]
    if facts:
        sections.insert(0, Section("Report", "\n".join(facts)))
    crash = Crash(_process(head), _cause(head), order, modules, sections=sections, problems=problems)
    asi = next((s.text for s in sections if s.title == "Application Specific Information"), None)
    crash.cause.message = asi or None
    crash.cause.headline = headline(crash)
    if not order:
        problems.append(Problem("apple.no_threads", "warning", "the report lists no threads"))
    return crash


def _name_thread(t: Thread, words: str) -> None:
    words = words.strip()
    if words.startswith("Dispatch queue:"):
        t.queue = words.split(":", 1)[1].strip()
    elif words:
        t.name = words


def _crashed_number(head: dict[str, str]) -> int | None:
    for key in ("Triggered by Thread", "Crashed Thread"):
        if key in head:
            m = re.match(r"\d+", head[key])
            if m:
                return int(m.group())
    return None


def _symbolicate(threads: list[Thread], modules: list[Module], symbols: ReportSymbols) -> None:
    """Frames the report left as 'base + offset' (or bare addresses) named from the image's dSYM; the image
    is the one whose range holds the frame's address."""
    for i, m in enumerate(modules):
        symbols.describe(i, m)
    for t in threads:
        for f in t.frames:
            i = next((i for i, m in enumerate(modules) if m.base <= f.pc < m.end), None)
            if i is None:
                continue
            if f.module_offset is None:
                f.module_offset = f.pc - modules[i].base
            if f.module is None:
                f.module = modules[i].name
            if f.function is None:
                loc = symbols.location(i, f.module_offset)
                if loc is not None:
                    f.function, f.file, f.line, f.symbol_offset = loc.function, loc.file, loc.line, loc.offset


def _process(head: dict[str, str]) -> Process:
    proc = head.get("Process", "")
    m = re.match(r"^(.*?)\s*\[(\d+)\]$", proc)
    version = head.get("Version")
    return Process(pid=int(m.group(2)) if m else None, command=(m.group(1) if m else proc) or None,
                   executable=head.get("Path"), os=head.get("OS Version"), arch=head.get("Code Type"),
                   time=head.get("Date/Time"), version=version if version and version != "???" else None)


def _cause(head: dict[str, str]) -> Cause:
    exc = head.get("Exception Type", "")
    m = re.match(r"^(\S+)(?:\s+\((\w+)\))?", exc)
    exception, signal_name = (m.group(1), m.group(2)) if m else (None, None)
    if exception and exception.startswith("SIG") and not signal_name:
        exception, signal_name = None, exception
    codes = head.get("Exception Codes", "")
    subtype = head.get("Exception Subtype") or (codes if not codes.startswith("0x") else "")
    fault = FAULT_AT.search(subtype or codes)
    term = head.get("Termination Reason") or head.get("Termination Signal") or ""
    code = None if "SIGNAL" in term else re.search(r"Code (\d+)", term)  # a signal's code is the signal itself
    return Cause(signal=SIGNALS.get(signal_name or ""), signal_name=signal_name,
                 code=int(code.group(1)) if code else None,
                 code_name=subtype.split(" at ")[0] if subtype else None, exception=exception,
                 fault_address=int(fault.group(1), 16) if fault else None, message=None)
