"""Reads an Apple crash report (.ips or .crash) into the crash model and the index: the report's own frames,
those it left unnamed symbolicated from dSYMs found by UUID. Other IPS kinds (hangs, stackshots, jetsam
events, panics) open as a summary that says which kind they are: their metadata, and the threads when the
body lists them in the crash report's form; nothing in them crashed."""

from __future__ import annotations

from pmdesk.base.crash import Crash, Problem, Section
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.apple.crash_text import text_crash
from pmdesk.readers.apple.ips import images_of, ips_crash
from pmdesk.readers.apple.report import CRASH_TYPES, LEGACY_TYPES, AppleFile, load
from pmdesk.readers.apple.symbols import ReportSymbols, folders_for


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    progress.update(0.0, "reading the report")
    f = load(path)
    folders = folders_for(path, paths)
    if f.body is not None:
        symbols = ReportSymbols(images_of(f.body), folders, progress)
        try:
            progress.update(0.3, "symbolicating")
            crash = ips_crash(f, symbols)
        finally:
            symbols.close()
        if f.bug_type not in CRASH_TYPES:
            _other_kind(f, crash)
    else:
        crash = text_crash(f.text or "", folders, progress)
        if f.meta and f.bug_type not in (*CRASH_TYPES, *LEGACY_TYPES):
            _other_kind(f, crash)
        elif not crash.threads and not crash.modules:
            raise DumpFormatError(path, "has a crash report's header but no threads or Binary Images (cut short?)")
    missing = [m.name for m in crash.modules if not m.symbols and m.build_id and m.build_id.strip("0")
               and _unnamed_in(crash, m.name)]
    if missing:
        crash.problems.append(Problem("apple.dsym_missing", "info", f"no dSYM found for {', '.join(missing)} "
                                      "(give its folder with --debug-dir, or File › Symbol paths…): its frames "
                                      "show as image + offset"))
    crash.problems += [Problem("apple.uuid_mismatch", "warning", m.warning) for m in crash.modules if m.warning]
    progress.update(1.0, "read")
    return crash


def _other_kind(f: AppleFile, crash: Crash) -> None:
    """An IPS report of another kind: said to be what it is, with its metadata; a snapshot, not a crash."""
    meta = f.meta
    name = meta.get("app_name") or meta.get("name") or crash.process.command or "?"
    crash.snapshot = True
    crash.process.command = crash.process.command or str(name)
    crash.process.os = crash.process.os or (str(meta["os_version"]) if meta.get("os_version") else None)
    crash.process.time = crash.process.time or (str(meta["timestamp"]) if meta.get("timestamp") else None)
    crash.cause.headline = (f"{f.kind} (IPS bug_type {f.bug_type}) of {name}, not a crash: "
                            f"{len(crash.threads)} thread{'s' if len(crash.threads) != 1 else ''} read")
    crash.sections.insert(0, Section("IPS metadata", "\n".join(f"{k}: {v}" for k, v in meta.items()
                                                               if isinstance(v, str | int | float))))
    for t in crash.threads:
        t.current, t.crashed = t.crashed, False
    crash.problems.append(Problem("apple.not_a_crash", "info", f"the report is {f.kind} (IPS bug_type "
                                  f"{f.bug_type}): its metadata and any threads in a crash report's form are read"))


def _unnamed_in(crash: Crash, module: str) -> bool:
    return any(f.module == module and f.function is None for t in crash.threads for f in t.frames)
