"""A HotSpot fatal error log as the crash model: the error (signal or exception, its code and address, or the
VM's internal error and its message) from the header and the siginfo line; the process (pid, command line,
versions, OS, CPU, time); every thread HotSpot listed (Java threads and the VM's own), the one marked '=>'
crashed and holds the frames (native and Java, in one stack), registers and the vector registers; modules
and regions from 'Dynamic libraries'; and every other part of the report as a section of text. Java frames
get file:line from their classes when the class path (the log's own, and the user's folders) holds them;
native frames get file:line from the library at its path when its own symbol at that offset is the one
the log names (the log records no build-id to match on)."""

from __future__ import annotations

import os
import re
from datetime import datetime

from pmdesk.base.crash import Cause, Crash, Frame, Module, Problem, Process, Region, Section, Thread
from pmdesk.base.progress import Progress
from pmdesk.base.signals import si_code_name
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, build_id_of_file, find_debug_file
from pmdesk.native.symbols import demangle
from pmdesk.readers.hserr.class_lines import ClassPath, source_line
from pmdesk.readers.hserr.frames import LogFrame, frames_of, merged
from pmdesk.readers.hserr.text import HsErr, platform_of

MASK = (1 << 64) - 1
IN_SUMMARY = ("VM state", "VM Mutex/Monitor currently owned", "Heap address", "heap address")
_SIGNAL = re.compile(r"\b(?P<name>SIG[A-Z0-9]+) \(0x(?P<num>[0-9a-fA-F]+)\) at pc=(?P<pc>0x[0-9a-fA-F]+)")
_EXCEPTION = re.compile(r"\b(?P<name>EXCEPTION_[A-Z_]+|[A-Z_]+_EXCEPTION|UNKNOWN) \(0x(?P<num>[0-9a-fA-F]+)\)"
                        r" at pc=(?P<pc>0x[0-9a-fA-F]+)")
_INTERNAL = re.compile(r"\b(?P<what>Internal Error|Out of Memory Error|Error) \((?P<where>[^)]*)\)")
_PID = re.compile(r"\bpid=(?P<pid>\d+)(?:, tid=(?P<tid>0x[0-9a-fA-F]+|\d+))?")
_SI_SIGNO = re.compile(r"si_signo[:=]\s*(?:(?P<num>\d+)\s*)?\(?(?P<name>SIG[A-Z0-9]+)?\)?")
_SI_CODE = re.compile(r"si_code[:=]\s*(?P<code>-?\d+)(?:\s*\((?P<name>[A-Z_0-9]+)\))?")
_SI_ADDR = re.compile(r"si_addr[:=]\s*(?P<addr>0x[0-9a-fA-F]+)")
_WIN_ACCESS = re.compile(r"(?P<how>reading|writing|executing|DEP violation at) address (?P<addr>0x[0-9a-fA-F]+)")
_WIN_CODE = re.compile(r"(?:ExceptionCode=|\()(?P<code>0x[0-9a-fA-F]{8})")
_REGISTER = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9]*(?:\[\d+\])?)\s*=\s*(?P<value>0x[0-9a-fA-F]+)")
_THREAD = re.compile(r"^(?P<current>=>)?\s*(?P<addr>0x[0-9a-fA-F]+)\s+(?:\(exited\)\s+)?(?P<type>[A-Za-z]\w*)"
                     r"(?:\s+\"(?P<name>.*)\")?(?P<rest>.*)$")
_CURRENT = re.compile(r"^Current thread \((?P<addr>0x[0-9a-fA-F]+)\):\s+(?P<type>[A-Za-z]\w*)(?:\s+\"(?P<name>.*)\")?"
                      r"(?P<rest>.*)$")
_ID = re.compile(r"\bid=(?P<id>\d+)")
_STATE = re.compile(r"\b(?P<state>_thread_\w+)")
_MAPS = re.compile(r"^(?P<start>[0-9a-fA-F]+)-(?P<end>[0-9a-fA-F]+)\s+(?P<perms>[-rwxsp]{4})\s+(?P<offset>[0-9a-fA-F]+)"
                   r"\s+\S+\s+\d+\s*(?P<name>.*)$")
_WIN_MODULE = re.compile(r"^(?P<start>0x[0-9a-fA-F]+)(?:\s+-\s+(?P<end>0x[0-9a-fA-F]+))?\s+(?P<name>\S.*)$")
_HOST = re.compile(r"^Host:\s*(?P<cpu>.*?),\s*(?P<cores>\d+) cores?,\s*(?P<mem>[^,]+),\s*(?P<os>.*)$")
_CPU_TOTAL = re.compile(r"^CPU:\s*total (?P<n>\d+)")
_TIME = re.compile(r"^(?:Time|time):\s*(?P<when>\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})(?:\s+(?P<tz>[A-Z]{2,5})\b)?")
_TIMEZONE = re.compile(r"^timezone:\s*(?P<tz>\S+)")
WINDOWS_EXCEPTIONS = {0xC0000005: "EXCEPTION_ACCESS_VIOLATION", 0xC00000FD: "EXCEPTION_STACK_OVERFLOW",
                      0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION", 0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
                      0xC0000006: "EXCEPTION_IN_PAGE_ERROR"}


def _header_value(header: list[str], label: str) -> str | None:
    for line in header:
        s = line.strip()
        if s.startswith(label):
            return s[len(label):].strip() or None
    return None


def _problematic_frame(header: list[str]) -> str | None:
    for i, line in enumerate(header):
        if line.strip().startswith("Problematic frame:") and i + 1 < len(header):
            nxt = header[i + 1].strip()
            return nxt if nxt and not nxt.startswith("[error occurred") else None
    return None


def _cause(log: HsErr) -> tuple[Cause, int | None]:
    """The error and the pid, from the header's error line and the THREAD part's siginfo line."""
    c = Cause()
    pid = None
    head = "\n".join(log.header)
    for line in log.header:
        s = line.strip()
        if m := _PID.search(s):
            pid = pid or int(m.group("pid"))
    error_line = next((line.strip() for line in log.header if _PID.search(line) and (
        _SIGNAL.search(line) or _EXCEPTION.search(line) or _INTERNAL.search(line))), None)
    if error_line is None:
        error_line = next((line.strip() for line in log.header if _PID.search(line)), None)
    if m := _SIGNAL.search(head):
        c.signal, c.signal_name = int(m.group("num"), 16), m.group("name")
    elif m := _EXCEPTION.search(head):
        c.exception, c.code = m.group("name"), int(m.group("num"), 16)
    elif m := _INTERNAL.search(head):
        c.exception = m.group("what")
    messages = []
    after = False
    for line in log.header:
        s = line.strip()
        if error_line and s == error_line:
            after = True
            continue
        if after:
            if not s or s.startswith(("JRE version:", "Java VM:")):
                break
            messages.append(s)
    insufficient = [line.strip() for line in log.header if line.strip().startswith(("Native memory allocation",
                                                                                      "There is insufficient memory"))]
    c.message = "; ".join(messages or insufficient[1:] or insufficient) or None
    si = log.section("siginfo")
    if si is not None:
        text = " ".join(si.lines)
        if m := _SI_SIGNO.search(text):
            if m.group("name"):
                c.signal_name = m.group("name")
            if m.group("num"):
                c.signal = int(m.group("num"))
        if m := _SI_CODE.search(text):
            c.code = int(m.group("code"))
            c.code_name = m.group("name") or (si_code_name(c.signal_name, c.code) if c.signal_name else None)
        if m := _SI_ADDR.search(text):
            c.fault_address = int(m.group("addr"), 16)
        if m := _WIN_ACCESS.search(text):
            c.fault_address = int(m.group("addr"), 16)
            c.fault_access = {"reading": "read", "writing": "write"}.get(m.group("how"), "execute")
        if c.exception is None and (m := _WIN_CODE.search(text)):
            c.code = int(m.group("code"), 16)
            c.exception = WINDOWS_EXCEPTIONS.get(c.code, f"0x{c.code:08x}")
    frame = _problematic_frame(log.header)
    # HotSpot's error line without the pid and tid (the summary has them), then the problematic frame
    headline = _PID.sub("", error_line).strip().rstrip(",").strip() if error_line else None
    if headline and frame:
        headline += f" in {' '.join(frame.split())}"
    if c.message:
        headline = f"{headline} — {c.message}" if headline else c.message
    c.headline = headline
    return c, pid


def _process(log: HsErr, pid: int | None) -> Process:
    p = Process(pid=pid)
    p.version = _header_value(log.header, "JRE version:")
    if (where := platform_of(log.header)) is not None:
        p.os, p.arch = where.os, where.machine
    args = log.section("VM Arguments")
    values = {}
    if args is not None:
        for line in args.body():
            key, sep, value = line.partition(":")
            if sep:
                values[key.strip()] = value.strip()
    summary = log.section("Summary")
    command_line = None
    for line in summary.lines if summary is not None else []:
        if line.startswith("Command Line:"):
            command_line = line.partition(":")[2].strip()
    p.command = command_line or " ".join(v for v in (values.get("jvm_args"), values.get("java_command")) if v) or None
    tz = None
    for s in log.sections:
        for line in s.lines:
            if p.time is None and (m := _TIME.match(line)):
                tz = m.group("tz")
                try:
                    when = datetime.strptime(" ".join(m.group("when").split()), "%a %b %d %H:%M:%S %Y")
                    p.time = when.isoformat() + ("Z" if tz == "UTC" else "")
                except ValueError:
                    p.time = m.group("when")
            elif tz is None and (m := _TIMEZONE.match(line)):
                tz = m.group("tz")
            elif m := _HOST.match(line):
                p.cpu_info, p.cpu_count = m.group("cpu"), int(m.group("cores"))
                p.os_version = m.group("os")
            elif p.cpu_count is None and (m := _CPU_TOTAL.match(line)):
                p.cpu_count = int(m.group("n"))
    os_section = log.section("OS")
    if p.os_version is None and os_section is not None:
        first = os_section.lines[0].partition(":")[2].strip() or next(
            (line.partition("=")[2].strip('"') for line in os_section.lines if line.startswith("PRETTY_NAME=")), "")
        p.os_version = first or None
    return p


def _thread_from(m: re.Match[str]) -> Thread:
    rest = m.group("rest") or ""
    tid = _ID.search(rest)
    state = _STATE.search(rest)
    name = m.group("name") or m.group("type")
    words = [m.group("type")] + (["daemon"] if " daemon " in f" {rest} " else []) + (
        [state.group("state")] if state else [])
    return Thread(int(tid.group("id")) if tid else -1, name, state=" ".join(words))


def _threads(log: HsErr) -> tuple[list[Thread], int | None]:
    """Every listed thread, and the index of the crashed one (marked '=>', else the 'Current thread')."""
    threads: list[Thread] = []
    crashed = None
    for title in ("Java Threads", "Other Threads"):
        s = log.section(title)
        for line in s.body() if s is not None else []:
            m = _THREAD.match(line)
            if m is None:
                continue
            if m.group("current"):
                crashed = len(threads)
            threads.append(_thread_from(m))
    current = log.section("Current thread")
    m = _CURRENT.match(current.lines[0]) if current is not None else None
    if m is not None:
        t = _thread_from(m)
        same = next((i for i, o in enumerate(threads) if o.tid == t.tid and t.tid >= 0), None)
        if crashed is None:
            if same is None:
                threads.insert(0, t)
                same = 0
            crashed = same
    elif crashed is None and current is not None:  # 'Current thread is native thread': not a JVM thread
        threads.insert(0, Thread(-1, "native thread", state="native thread"))
        crashed = 0
    return threads, crashed


def _registers(log: HsErr, arch: str | None) -> tuple[dict[str, int], list[tuple[str, str]]]:
    s = log.section("Registers")
    general: dict[str, int] = {}
    extra: list[tuple[str, str]] = []
    if s is None:
        return general, extra
    for line in s.lines[1:]:
        if not line.strip():
            continue
        if re.match(r"^\s*(?:XMM|YMM|ZMM|MXCSR|ST\d|V\d|[Dd]\d|FPSR|FPCR|fpu|F\d)", line):
            name, _, value = line.strip().partition("=")
            extra.append((name.strip(), value.strip()))
            continue
        for m in _REGISTER.finditer(line):
            name = m.group("name").lower()
            if arch == "EM_AARCH64" and re.fullmatch(r"r\d+", name):
                name = "x" + name[1:]
            general[name] = int(m.group("value"), 16)
    return general, extra


def _modules(log: HsErr) -> tuple[list[Module], list[Region]]:
    """One module per mapped file (from its lowest to its highest mapping; its load bias the address of its
    mapping at file offset 0), and every mapping as a region."""
    s = log.section("Dynamic libraries")
    modules: dict[str, Module] = {}
    regions: list[Region] = []
    for line in s.body() if s is not None else []:
        if m := _MAPS.match(line):
            start, end, offset = int(m.group("start"), 16), int(m.group("end"), 16), int(m.group("offset"), 16)
            name = m.group("name").strip()
            regions.append(Region(start, end, m.group("perms")[:3], 0, name or None))
            if not name.startswith("/") or name.startswith(("/dev/", "/usr/share/")) or name.endswith(
                    (".jsa", ".jar", ".ja", "/modules", ".cache")) or "/hsperfdata_" in name or "/locale/" in name:
                continue
            mod = modules.get(name)
            if mod is None:
                modules[name] = Module(os.path.basename(name), start, end, start - offset, name)
            else:
                mod.base, mod.end = min(mod.base, start), max(mod.end, end)
                if offset == 0:
                    mod.bias = start
        elif m := _WIN_MODULE.match(line):
            start = int(m.group("start"), 16)
            end = int(m.group("end"), 16) if m.group("end") else start
            name = m.group("name").strip()
            modules.setdefault(name, Module(name.replace("\\", "/").rsplit("/", 1)[-1], start, end, start, name))
            regions.append(Region(start, end, "", 0, name))
    return list(modules.values()), regions


class NativeSymbols:
    """Libraries the log names, opened at their paths when this machine has them; a frame's file:line is taken
    only when the library's own symbol at the offset is the function the log names (the same build)."""

    def __init__(self, modules: list[Module], paths: SearchPaths) -> None:
        self.by_name = {m.name: m for m in modules}
        self.paths = paths
        self.images: dict[str, Image | None] = {}

    def image(self, module: Module) -> Image | None:
        if module.name not in self.images:
            image = None
            candidates = [module.path or ""] + [os.path.join(d, module.name) for d in self.paths.search_dirs]
            found = next((c for c in candidates if c and os.path.isfile(c)), None)
            if found is not None:
                image = Image(module.path or found, module.base, module.end, module.bias, None, module.name,
                              binary=found)
                bid = build_id_of_file(found)
                if bid:
                    image.build_id = bid
                    debug = find_debug_file(found, bid, self.paths)
                    image.debug_file = debug.path if debug else None
                module.binary = found
                module.build_id = bid
            self.images[module.name] = image
        return self.images[module.name]

    def frames(self, f: LogFrame) -> list[Frame] | None:
        module = self.by_name.get(f.module or "")
        if module is None or f.module_offset is None or not f.function:
            return None
        image = self.image(module)
        if image is None:
            return None
        try:
            own = image.symbols.lookup(f.module_offset)
        except (ValueError, KeyError, OSError):
            return None
        if own is None or demangle(own) != f.function and own != f.function:
            module.warning = module.warning or "the file here is not the one that crashed (its symbols differ)"
            return None
        module.symbols = True
        module.debug_file = image.debug_file
        lookup = f.module_offset  # the log gives return addresses; HotSpot itself names them unadjusted
        locs = image.locations(lookup)
        if not locs or not locs[-1].function:
            return None
        pc = (module.bias + f.module_offset) & MASK
        out = [Frame(pc, f.module, f.module_offset, loc.function, loc.file, loc.line, loc.inlined,
                     "symbolicated-by-report", kind=f.kind) for loc in locs]
        out[-1].function, out[-1].symbol_offset = f.function, f.symbol_offset
        if out[-1].file is None and f.file:  # the VM's own source line, which HotSpot printed
            out[-1].file, out[-1].line = f.file, f.line
        return out

    def close(self) -> None:
        for image in self.images.values():
            if image is not None:
                image.close()


def _frame(f: LogFrame, modules: dict[str, Module], natives: NativeSymbols, classes: ClassPath) -> list[Frame]:
    module = modules.get(f.module or "")
    pc = f.pc if f.pc is not None else (module.bias + f.module_offset if module and f.module_offset is not None
                                        else 0)
    if f.letter in "VC":
        found = natives.frames(f)
        if found:
            return found
        return [Frame(pc & MASK, f.module, f.module_offset, f.function, f.file, f.line, False,
                      "symbolicated-by-report", f.symbol_offset, kind=f.kind)]
    file = line = None
    if f.java and f.function:
        file, line = source_line(classes, f.function, f.bci if f.bci is not None else -1)
        if f.bci is None:
            line = None
    return [Frame(pc & MASK, f.java_module, None, f.function, file, line, False, "symbolicated-by-report",
                  f.symbol_offset, kind=f.kind)]


def crash_of(log: HsErr, path: str, paths: SearchPaths, progress: Progress) -> Crash:
    cause, pid = _cause(log)
    process = _process(log, pid)
    threads, crashed = _threads(log)
    modules, regions = _modules(log)
    registers, extra = _registers(log, process.arch)
    native = log.section("Native frames")
    java = log.section("Java frames")
    stack = merged(frames_of(native.body()) if native else [], frames_of(java.body()) if java else [])
    args = log.section("VM Arguments")
    class_path = next((line.partition(":")[2].strip() for line in (args.body() if args else [])
                       if line.startswith("java_class_path")), "")
    sep = ";" if process.os == "Windows" else ":"
    classes = ClassPath([*paths.search_dirs, *class_path.split(sep), os.path.dirname(os.path.abspath(path))])
    natives = NativeSymbols(modules, paths)
    by_name = {m.name: m for m in modules}
    try:
        frames: list[Frame] = []
        for i, f in enumerate(stack):
            progress.update(0.3 + 0.6 * i / max(len(stack), 1), "symbolicating")
            frames += _frame(f, by_name, natives, classes)
    finally:
        natives.close()
    problems: list[Problem] = []
    if not frames and (top := _problematic_frame(log.header)) is not None:  # the header's frame, at least
        frames = [fr for f in frames_of([top]) for fr in _frame(f, by_name, natives, classes)]
    if crashed is None:
        tid = _PID.search("\n".join(log.header))
        tid_text = tid.group("tid") if tid else None
        threads.insert(0, Thread(int(tid_text, 0) if tid_text else -1, "crashing thread"))
        crashed = 0
    t = threads[crashed]
    t.crashed, t.registers, t.extra_registers, t.frames = True, registers, extra, frames
    if cause.signal is not None:
        t.signal = cause.signal
    # the summary shows the one-line states; the dozens of other parts are in Report sections
    sections = [Section("Error", "\n".join(log.header).strip("\n"), False)] + [
        Section(s.title if s.title else s.part.title(), s.text, s.title in IN_SUMMARY) for s in log.sections
        if len(s.text.strip()) > len(s.title) + 1 and s.title not in ("Native frames", "Java frames")
        and (s.body() or s.title != s.part.title())]  # not a part's bare '---  T H R E A D  ---' line
    if not log.complete and log.section("vm_info") is None:  # 'END.' since JDK 9; vm_info is near the end in all
        problems.append(Problem("hserr.truncated", "warning", "the log ends before HotSpot's closing 'END.' line "
                                "(cut short while the JVM was writing it?)"))
    errors = sum(1 for s in log.sections for line in s.lines if line.startswith("[error occurred during error"))
    errors += sum(1 for line in log.header if line.startswith("[error occurred during error"))
    if errors:
        problems.append(Problem("hserr.reporting_errors", "info", f"HotSpot met {errors} error(s) while writing the "
                                "log: the parts it names are missing"))
    if not frames:
        problems.append(Problem("hserr.no_frames", "warning", "the log lists no frames for the crashing thread"))
    return Crash(process, cause, threads, modules, regions, sections, problems=problems)
