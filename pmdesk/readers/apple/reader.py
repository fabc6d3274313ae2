"""Reads an Apple crash report (.ips or .crash) into the crash model and the index: the report's own frames,
those it left unnamed symbolicated from dSYMs found by UUID. Other IPS kinds (hangs, stackshots, jetsam
events) are recognised and said to be what they are."""

from __future__ import annotations

from pmdesk.base.crash import Crash, Problem
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.apple.crash_text import text_crash
from pmdesk.readers.apple.ips import images_of, ips_crash
from pmdesk.readers.apple.report import CRASH_TYPES, LEGACY_TYPES, load
from pmdesk.readers.apple.symbols import ReportSymbols, folders_for
from pmdesk.readers.base import IndexSink
from pmdesk.readers.crash_rows import write_crash


def read_report(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index time: the crash model with the default symbol search (beside the report), into crash_*."""
    write_crash(sink, read_crash(path, SearchPaths(), progress))


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    progress.update(0.0, "reading the report")
    f = load(path)
    folders = folders_for(path, paths)
    if f.body is not None:
        if f.bug_type not in CRASH_TYPES:
            raise DumpFormatError(path, f"is {f.kind} (IPS bug_type {f.bug_type}), not a crash report: pmdesk "
                                        "reads crash reports (bug_type 309) and .crash text")
        symbols = ReportSymbols(images_of(f.body), folders, progress)
        try:
            progress.update(0.3, "symbolicating")
            crash = ips_crash(f, symbols)
        finally:
            symbols.close()
    else:
        if f.meta and f.bug_type not in (*CRASH_TYPES, *LEGACY_TYPES):
            raise DumpFormatError(path, f"is {f.kind} (IPS bug_type {f.bug_type}), not a crash report")
        crash = text_crash(f.text or "", folders, progress)
        if not crash.threads and not crash.modules:
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


def _unnamed_in(crash: Crash, module: str) -> bool:
    return any(f.module == module and f.function is None for t in crash.threads for f in t.frames)
