"""An .ips crash report rendered as the classic .crash text Console shows for it (macOS: Report Version 12;
iOS and other embedded OSs: 104), optionally symbolicated from dSYMs the way MacSymbolicator writes it
(`function (in Image) (file:line)`). On macOS this takes a private framework (OSAnalytics); here it is the
report's fields laid out as Console lays them out, checked line by line against its output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.apple.ips import d, images_of, lst, num, text
from pmdesk.readers.apple.report import CRASH_TYPES, load
from pmdesk.readers.apple.symbols import ReportSymbols, folders_for

X86_ROWS = (("rax", "rbx", "rcx", "rdx"), ("rdi", "rsi", "rbp", "rsp"), ("r8", "r9", "r10", "r11"),
            ("r12", "r13", "r14", "r15"), ("rip", "rflags", "cr2"))
X86_SHORT = {"rflags": "rfl"}
ARM_ROWS = (*(tuple(f"x{i}" for i in range(r, r + 4)) for r in range(0, 28, 4)), ("x28", "fp", "lr"),
            ("sp", "pc", "cpsr"), ("far", "esr"))
WORD32 = {"cpsr", "esr"}  # printed as 32-bit words


def translate(path: str, paths: SearchPaths | None) -> str:
    """The .crash text of the .ips at `path`; frames the report left unnamed are named from dSYMs found
    under `paths` (and beside the report) when `paths` is given."""
    f = load(path)
    if f.body is None:
        raise DumpFormatError(path, "is already .crash text, not an .ips: nothing to translate")
    if f.bug_type not in CRASH_TYPES:
        raise DumpFormatError(path, f"is {f.kind} (IPS bug_type {f.bug_type}); translate renders crash reports")
    symbols = ReportSymbols(images_of(f.body), folders_for(path, paths) if paths is not None else [])
    try:
        return "\n".join(_lines(f.meta, f.body, symbols)) + "\n"
    finally:
        symbols.close()


def _embedded(body: dict[str, Any]) -> bool:
    return bool(d(body.get("osVersion")).get("isEmbedded")) or not str(
        d(body.get("osVersion")).get("train", "")).startswith(("macOS", "Mac OS"))


def _lines(meta: dict[str, Any], body: dict[str, Any], symbols: ReportSymbols) -> Iterator[str]:
    ios = _embedded(body)
    yield from (_ios_header if ios else _mac_header)(meta, body)
    images = lst(body.get("usedImages"))
    faulting = num(body.get("faultingThread"))
    threads = lst(body.get("threads"))
    leb = body.get("lastExceptionBacktrace")
    leb_frames = lst(d(leb).get("frames")) if isinstance(leb, dict) else lst(leb)
    if leb_frames:
        yield "Last Exception Backtrace:"
        yield from _frames(leb_frames, images, symbols)
        yield ""
    for i, t in enumerate(threads):
        t = d(t)
        crashed = t.get("triggered") is True
        name, queue = text(t.get("name")), text(t.get("queue"))
        label = (f"{name}" if name else "") + (f" Dispatch queue: {queue}" if queue else "")
        if ios:
            if label:
                yield f"Thread {i} name:  {label}"
            yield f"Thread {i}{' Crashed' if crashed else ''}:"
        else:
            yield f"Thread {i}{' Crashed' if crashed else ''}:" + (f": {label}" if label else "")
        yield from _frames(lst(t.get("frames")), images, symbols)
        yield ""
    crashed_i = next((i for i, t in enumerate(threads) if d(t).get("triggered") is True), faulting)
    state = d(d(threads[crashed_i]).get("threadState")) if crashed_i is not None and 0 <= crashed_i < len(
        threads) else {}
    if state:
        yield ""
        yield from _state(crashed_i, state, ios)
        if not ios:
            yield from _instruction_stream(crashed_i, d(threads[crashed_i]))
    yield "Binary Images:"
    for img in images:
        yield _image(d(img), ios)
    yield ""
    if ios:
        yield "EOF"
        yield ""
        return
    yield from _mac_tail(body)


def _field(label: str, value: str, width: int) -> str:
    return f"{label + ':':<{width}}{value}"


def _pid(name: Any, pid: Any) -> str:
    return f"{name} [{pid}]" if pid is not None else str(name)


def _os(body: dict[str, Any]) -> str:
    v = d(body.get("osVersion"))
    return f"{v.get('train', '')} ({v.get('build', '')})"


def _version(meta: dict[str, Any], body: dict[str, Any]) -> str:
    b = d(body.get("bundleInfo"))
    short = text(b.get("CFBundleShortVersionString")) or text(meta.get("app_version"))
    build = text(b.get("CFBundleVersion")) or text(meta.get("build_version"))
    if not short and not build:
        return "???"
    return f"{short or '???'} ({build})" if build else short or "???"


def _exception_lines(body: dict[str, Any], width: int) -> Iterator[str]:
    exc = d(body.get("exception"))
    kind = text(exc.get("type")) or ""
    signal = text(exc.get("signal"))
    yield _field("Exception Type", f"{kind} ({signal})" if signal else kind, width)
    if width > 17 and text(exc.get("subtype")):  # macOS gives the subtype a line of its own
        yield _field("Exception Codes", exc["subtype"], width)
    codes = text(exc.get("codes")) or ""
    if width <= 17 and text(exc.get("subtype")):
        codes = f"{exc['subtype']}" if not codes else codes
    yield _field("Exception Codes", codes, width)
    if body.get("isCorpse"):
        yield _field("Exception Note", "EXC_CORPSE_NOTIFY", width)


def _ios_header(meta: dict[str, Any], body: dict[str, Any]) -> Iterator[str]:
    w = 21
    b = d(body.get("bundleInfo"))
    yield ""
    yield _field("Incident Identifier", str(body.get("incident") or meta.get("incident_id", "")), w)
    yield _field("CrashReporter Key", str(body.get("crashReporterKey", "")), w)
    yield _field("Hardware Model", str(body.get("modelCode", "")), w)
    yield _field("Process", _pid(body.get("procName"), body.get("pid")), w)
    yield _field("Path", str(body.get("procPath", "")), w)
    yield _field("Identifier", str(b.get("CFBundleIdentifier") or meta.get("bundleID") or body.get("procName")), w)
    yield _field("Version", _version(meta, body), w)
    yield _field("Code Type", f"{body.get('cpuType', '')} (Native)", w)
    yield _field("Role", str(body.get("procRole", "")), w)
    yield _field("Parent Process", _pid(body.get("parentProc"), body.get("parentPid")), w)
    yield _field("Coalition", _pid(body.get("coalitionName"), body.get("coalitionID")), w)
    yield ""
    yield _field("Date/Time", str(body.get("captureTime", "")), w)
    yield _field("Launch Time", str(body.get("procLaunch", "")), w)
    yield _field("OS Version", _os(body), w)
    yield _field("Release Type", str(d(body.get("osVersion")).get("releaseType", "")), w)
    if body.get("basebandVersion"):
        yield _field("Baseband Version", str(body["basebandVersion"]), w)
    yield _field("Report Version", "104", w)
    yield ""
    yield from _exception_lines(body, 17)
    term = d(body.get("termination"))
    yield f"Termination Reason: {term.get('namespace', '')} {term.get('code', '')} {term.get('indicator', '')}"
    if term.get("byProc"):
        yield f"Terminating Process: {_pid(term['byProc'], term.get('byPid'))}"
    yield ""
    yield f"Triggered by Thread:  {body.get('faultingThread', '')}"
    if text(body.get("ktriageinfo")):
        yield ""
        yield "Kernel Triage:"
        yield from body["ktriageinfo"].rstrip("\n").split("\n")
    yield ""
    yield ""


def _mac_header(meta: dict[str, Any], body: dict[str, Any]) -> Iterator[str]:
    w = 23
    b = d(body.get("bundleInfo"))
    yield ""
    yield _field("Process", _pid(body.get("procName"), body.get("pid")), w)
    yield _field("Path", str(body.get("procPath", "")), w)
    yield _field("Identifier", str(b.get("CFBundleIdentifier") or meta.get("bundleID") or body.get("procName")), w)
    yield _field("Version", _version(meta, body), w)
    yield _field("Code Type", f"{body.get('cpuType', '')} (Native)", w)
    yield _field("Parent Process", _pid(body.get("parentProc"), body.get("parentPid")), w)
    if body.get("responsibleProc"):
        yield _field("Responsible", _pid(body["responsibleProc"], body.get("responsiblePid")), w)
    yield _field("User ID", str(body.get("userID", "")), w)
    yield ""
    yield _field("Date/Time", str(body.get("captureTime", "")), w)
    yield _field("OS Version", _os(body), w)
    yield _field("Report Version", "12", w)
    yield _field("Anonymous UUID", str(body.get("crashReporterKey", "")), w)
    yield ""
    yield ""
    if body.get("uptime") is not None:
        yield f"Time Awake Since Boot: {body['uptime']} seconds"
        yield ""
    if body.get("sip"):
        yield f"System Integrity Protection: {body['sip']}"
        yield ""
    faulting = body.get("faultingThread")
    queue = d(d(body.get("legacyInfo")).get("threadTriggered")).get("queue")
    yield _field("Crashed Thread", f"{faulting}" + (f"  Dispatch queue: {queue}" if queue else ""), w)
    yield ""
    yield from _exception_lines(body, w)
    yield ""
    term = d(body.get("termination"))
    yield _field("Termination Reason", f"Namespace {term.get('namespace', '')}, Code {term.get('code', '')} "
                 f"{term.get('indicator', '')}", w)
    if term.get("byProc"):
        yield _field("Terminating Process", _pid(term["byProc"], term.get("byPid")), w)
    yield ""
    region = text(body.get("vmRegionInfo"))
    if region:
        yield f"VM Region Info: {region}"
        yield ""
    asi = d(body.get("asi"))
    if asi:
        yield "Application Specific Information:"
        yield from (str(x) for v in asi.values() for x in (v if isinstance(v, list) else [v]))
        yield ""


def _frames(frames: list[Any], images: list[Any], symbols: ReportSymbols) -> Iterator[str]:
    for n, fr in enumerate(frames):
        fr = d(fr)
        index, offset = num(fr.get("imageIndex")), num(fr.get("imageOffset")) or 0
        img = d(images[index]) if index is not None and 0 <= index < len(images) else {}
        base = num(img.get("base")) or 0
        name = text(img.get("name")) or "???"
        symbol = text(fr.get("symbol"))
        if symbol is not None:
            rest = f"{symbol} + {num(fr.get('symbolLocation')) or 0}"
        else:
            loc = symbols.location(index, offset) if index is not None else None
            if loc is None:
                rest = f"0x{base:x} + {offset}"
            elif loc.file is not None:
                rest = f"{loc.function} (in {name}) ({loc.base_name}:{loc.line})"
            else:
                rest = f"{loc.function} (in {name}) + {loc.offset or 0}"
        yield f"{n:<4}{name:<30}\t{base + offset:#18x} {rest}"


def _state(i: int, state: dict[str, Any], ios: bool) -> Iterator[str]:
    arm = "x" in state or str(state.get("flavor", "")).startswith("ARM")
    flavor = "ARM Thread State (64-bit)" if arm else "X86 Thread State (64-bit)"
    yield f"Thread {i} crashed with {flavor}:"
    values = {k: num(d(v).get("value")) for k, v in state.items() if k != "x"}
    for k, v in enumerate(lst(state.get("x"))):
        values[f"x{k}"] = num(d(v).get("value"))
    rows, width, sep = (ARM_ROWS, 4, " ") if arm else (X86_ROWS, 3, "  ")
    for row in rows:
        cells = []
        for reg in row:
            v = values.get(reg)
            if v is None:
                continue
            cell = f"{X86_SHORT.get(reg, reg):>{width}}: " + (f"0x{v:08x}" if reg in WORD32 else f"0x{v:016x}")
            desc = text(d(state.get(reg)).get("description"))
            cells.append(cell + (f" {desc}" if desc else ""))
        if cells:
            yield "  " + sep.join(cells)
    if arm:
        yield ""
        return
    yield "  "
    for label, key in (("Logical CPU", "cpu"), ("Error Code", "err"), ("Trap Number", "trap")):
        v = num(d(state.get(key)).get("value"))
        if v is None:
            continue
        if key == "err":
            desc = text(d(state.get("trap")).get("description")) or ""
            yield _field(label, f"0x{v:08x} {desc}", 17)
        else:
            yield _field(label, str(v), 17)
    yield ""


def _instruction_stream(i: int, thread: dict[str, Any]) -> Iterator[str]:
    stream = d(d(thread.get("instructionState")).get("instructionStream"))
    raw = [b & 0xFF for b in lst(stream.get("bytes")) if isinstance(b, int)]
    mark = num(stream.get("offset"))
    if not raw:
        return
    yield f"Thread {i} instruction stream:"
    for row in range(0, len(raw), 16):
        chunk = raw[row:row + 16]
        seps = [" " if k != 8 else "-" for k in range(len(chunk))] + [" "]
        marked = mark is not None and row <= mark < row + len(chunk)
        if marked:
            seps[mark - row], seps[mark - row + 1] = "[", "]"
        hexes = "".join(seps[k] + f"{b:02x}" for k, b in enumerate(chunk)) + seps[len(chunk)]
        chars = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        yield f" {hexes} {chars}" + ("\t<==" if marked else "")
    yield ""


def _image(img: dict[str, Any], ios: bool) -> str:
    base, size = num(img.get("base")) or 0, num(img.get("size")) or 0
    end = (base + size - 1) & ((1 << 64) - 1)
    uuid = text(img.get("uuid")) or ""
    path = text(img.get("path")) or "???"
    if ios:
        name = text(img.get("name")) or "???"
        return f"{base:#18x} - {end:#18x} {name} {img.get('arch', '')}  <{uuid.replace('-', '')}> {path}"
    name = text(img.get("CFBundleIdentifier")) or text(img.get("name")) or "???"
    version = text(img.get("CFBundleShortVersionString")) or "*"
    return f"{base:#18x} - {end:#18x} {name} ({version}) <{uuid}> {path}"


def _mac_tail(body: dict[str, Any]) -> Iterator[str]:
    ext = d(body.get("extMods"))
    if ext:
        yield "External Modification Summary:"
        for title, key in (("Calls made by other processes targeting this process", "targeted"),
                           ("Calls made by this process", "caller"),
                           ("Calls made by all processes on this machine", "system")):
            yield f"  {title}:"
            part = d(ext.get(key))
            for name in ("task_for_pid", "thread_create", "thread_set_state"):
                yield f"    {name}: {part.get(name, 0)}"
        yield ""
    summary = text(body.get("vmSummary"))
    if summary:
        yield "VM Region Summary:"
        yield from summary.split("\n")
    yield ""
    yield ""
