"""An .ips crash report (bug_type 309) read into the crash model: the process and device, the exception and
termination in plain words, every thread with its queue, registers and frames (symbolicated by UUID where
the report left an image offset unnamed), the images with their UUIDs and where pmdesk looked, and the Last
Exception Backtrace as a stack of its own. Fields follow Apple's "Interpreting the JSON format of a crash
report" (developer.apple.com/documentation/xcode/interpreting-the-json-format-of-a-crash-report)."""

from __future__ import annotations

import re
from typing import Any

from pmdesk.base.crash import LAST_EXCEPTION_TID, Cause, Crash, Frame, Module, Problem, Process, Section, Thread
from pmdesk.readers.apple.names import headline
from pmdesk.readers.apple.report import AppleFile
from pmdesk.readers.apple.symbols import ImageId, ReportSymbols

FAULT_AT = re.compile(r"\bat (0x[0-9a-fA-F]+)")
SIGNALS = {"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGEMT": 7,
           "SIGFPE": 8, "SIGKILL": 9, "SIGBUS": 10, "SIGSEGV": 11, "SIGSYS": 12, "SIGPIPE": 13, "SIGALRM": 14,
           "SIGTERM": 15, "SIGXCPU": 24, "SIGXFSZ": 25}  # Darwin's numbering (<sys/signal.h>)


def d(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (a damaged report's field of the wrong type)."""
    return value if isinstance(value, dict) else {}


def lst(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def num(value: Any) -> int | None:
    """An integer field that fits 64 bits (never a bool or a float), else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and -(1 << 63) <= value < 1 << 64
    return value if ok else None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def images_of(body: dict[str, Any]) -> list[ImageId]:
    return [ImageId(text(d(i).get("name")) or "???", text(d(i).get("uuid"))) for i in lst(body.get("usedImages"))]


def ips_crash(f: AppleFile, symbols: ReportSymbols) -> Crash:
    body = f.body or {}
    meta = f.meta
    problems: list[Problem] = []
    images = lst(body.get("usedImages"))
    exc, term = d(body.get("exception")), d(body.get("termination"))
    os_version = d(body.get("osVersion"))
    os_text = " ".join(x for x in (text(os_version.get("train")),
                                   f"({os_version['build']})" if text(os_version.get("build")) else None) if x) \
        or text(meta.get("os_version"))
    bundle = d(body.get("bundleInfo"))
    version = text(bundle.get("CFBundleShortVersionString")) or text(meta.get("app_version"))
    build = text(bundle.get("CFBundleVersion")) or text(meta.get("build_version"))
    process = Process(pid=num(body.get("pid")), command=text(body.get("procName")) or text(meta.get("app_name")),
                      executable=text(body.get("procPath")), os=os_text, arch=text(body.get("cpuType")),
                      time=text(body.get("captureTime")) or text(meta.get("timestamp")),
                      version=f"{version} ({build})" if version and build else version or build)
    subtype = text(exc.get("subtype"))
    fault = FAULT_AT.search(subtype or "")
    signal_name = text(exc.get("signal"))
    signal = SIGNALS.get(signal_name or "")
    if signal is None and text(term.get("namespace")) == "SIGNAL":
        signal = num(term.get("code"))
    cause = Cause(signal=signal, signal_name=signal_name,  # a SIGNAL termination's code is the signal itself
                  code=num(term.get("code")) if text(term.get("namespace")) != "SIGNAL" else None,
                  code_name=subtype.split(" at ")[0] if subtype else None, exception=text(exc.get("type")),
                  fault_address=int(fault.group(1), 16) if fault else None,
                  message=_message(body))
    threads = []
    for i, t in enumerate(lst(body.get("threads"))):
        t = d(t)
        triggered = t.get("triggered") is True or (i == num(body.get("faultingThread")) and "triggered" not in t)
        threads.append(Thread(i, text(t.get("name")), crashed=triggered,  # Apple's "Thread N": its place
                              queue=text(t.get("queue")), registers=registers(d(t.get("threadState"))),
                              frames=frames(lst(t.get("frames")), images, symbols, problems)))
    leb = body.get("lastExceptionBacktrace")
    leb_frames = lst(d(leb).get("frames")) if isinstance(leb, dict) else lst(leb)
    if leb_frames:
        threads.insert(0, Thread(LAST_EXCEPTION_TID, "Last Exception Backtrace",
                                 frames=frames(leb_frames, images, symbols, problems)))
    modules = modules_of(images, symbols)
    crash = Crash(process, cause, threads, modules, sections=sections(body), problems=problems)
    crash.cause.headline = headline(crash)
    if not threads:
        problems.append(Problem("apple.no_threads", "warning", "the report lists no threads"))
    return crash


def _message(body: dict[str, Any]) -> str | None:
    reason = d(body.get("exceptionReason"))
    if reason:
        parts = [text(reason.get("name")) or text(reason.get("type")), text(reason.get("composed_message")) or
                 text(reason.get("reason"))]
        return ": ".join(p for p in parts if p) or None
    asi = d(body.get("asi"))
    lines = [str(x) for v in asi.values() for x in (v if isinstance(v, list) else [v])]
    return "\n".join(lines) or None


REGISTER_ORDER = (*(f"x{i}" for i in range(29)), "fp", "lr", "sp", "pc", "cpsr", "far", "esr",
                  "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp", *(f"r{i}" for i in range(8, 16)), "rip",
                  "rflags", "cs", "fs", "gs", "cr2")


def registers(state: dict[str, Any]) -> dict[str, int]:
    """A thread's registers by name, in the architecture's order (arm64's x0…x28, fp, lr, sp, pc, cpsr, far,
    esr; x86-64's rax… rip, rflags, cr2), then what else the state holds (trap, err, cpu)."""
    found = _registers(state)
    rank = {name: i for i, name in enumerate(REGISTER_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _registers(state: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, v in enumerate(lst(state.get("x"))):
        value = num(d(v).get("value"))
        if value is not None:
            out[f"x{i}"] = value
    for name, v in state.items():
        value = num(d(v).get("value"))
        if name != "x" and value is not None:
            out[name] = value
    return out


def frames(raw: list[Any], images: list[Any], symbols: ReportSymbols, problems: list[Problem]) -> list[Frame]:
    out = []
    for fr in raw:
        fr = d(fr)
        index, offset = num(fr.get("imageIndex")), num(fr.get("imageOffset"))
        image = d(images[index]) if index is not None and 0 <= index < len(images) else None
        if index is not None and image is None and not any(p.code == "apple.bad_image_index" for p in problems):
            problems.append(Problem("apple.bad_image_index", "warning",  # said once, however many frames
                                    f"a frame names image {index}; the report lists {len(images)}"))
        base = num(image.get("base")) if image else None
        name = text(image.get("name")) if image else None
        pc = (base or 0) + (offset or 0)
        frame = Frame(pc & ((1 << 64) - 1), name or "???", offset, text(fr.get("symbol")),
                      trust="symbolicated-by-report", symbol_offset=num(fr.get("symbolLocation")))
        if frame.function is None and image is not None and offset is not None:
            loc = symbols.location(index, offset)
            if loc is not None:
                frame.function, frame.file, frame.line = loc.function, loc.file, loc.line
                frame.symbol_offset = loc.offset
        if frame.file is None and text(fr.get("sourceFile")):
            frame.file, frame.line = fr["sourceFile"], num(fr.get("sourceLine"))
        out.append(frame)
    return out


def modules_of(images: list[Any], symbols: ReportSymbols) -> list[Module]:
    out = []
    for i, img in enumerate(images):
        img = d(img)
        base = num(img.get("base")) or 0
        uuid = text(img.get("uuid"))
        m = Module(text(img.get("name")) or "???", base, base + (num(img.get("size")) or 0), base,
                   text(img.get("path")), uuid.replace("-", "").lower() if uuid else None, arch=text(img.get("arch")))
        symbols.describe(i, m)
        out.append(m)
    return out


def sections(body: dict[str, Any]) -> list[Section]:
    term = d(body.get("termination"))
    facts = [("Hardware Model", text(body.get("modelCode"))), ("Identifier", text(d(body.get("bundleInfo")).get(
        "CFBundleIdentifier"))), ("Incident Identifier", text(body.get("incident"))),
        ("Termination", " ".join(str(x) for x in (term.get("namespace"), term.get("code"), term.get("indicator"))
                                 if x is not None) or None),
        ("Terminating Process", text(term.get("byProc"))), ("Parent Process", text(body.get("parentProc")))]
    out = [Section("Report", "\n".join(f"{k}: {v}" for k, v in facts if v))] if any(v for _, v in facts) else []
    asi = d(body.get("asi"))
    if asi:
        out.append(Section("Application Specific Information", "\n".join(
            f"{k}: {x}" for k, v in asi.items() for x in (v if isinstance(v, list) else [v]))))
    for key, title in (("vmRegionInfo", "VM Region Info"), ("ktriageinfo", "Kernel Triage"),
                       ("vmSummary", "VM Region Summary")):
        if text(body.get(key)):
            out.append(Section(title, body[key].rstrip("\n")))
    notes = [str(n) for n in lst(body.get("reportNotes"))]
    if notes:
        out.append(Section("Report Notes", "\n".join(notes)))
    return out
