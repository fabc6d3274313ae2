"""The CLI command for native crashes: `pmdesk stack FILE` — every thread's symbolicated stack, crashing
thread first, like gdb's `thread apply all bt`, or the `--json` document."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from pmdesk.base.errors import PmdeskError
from pmdesk.cli.command import FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, check_kind
from pmdesk.model.crash import report as native
from pmdesk.model.formats import Kind

CONTRACT = ("signal", "crashed_thread", "threads", "modules", "deadlocks")  # the keys, and deadlocks


def stack(inv: Invocation) -> Output:
    args = inv.args
    if args.exe or args.debug_dir or args.search_dir:  # other search paths: straight from the core, no index
        from pmdesk.native.symbol_files import SearchPaths

        check_kind(args.file, inv.command)
        try:
            doc = native.live_stack_doc(args.file, SearchPaths(exe=args.exe, search_dirs=args.search_dir or [],
                                                               debug_dirs=args.debug_dir or []))
        except ValueError as e:
            raise PmdeskError(args.file, str(e)) from None
        for w in doc.pop("_warnings"):
            print(f"warning: {w}", file=sys.stderr)
        fault = doc.pop("_fault")
    else:
        dump = inv.open(args.file)
        fault = dump.meta.get("core.fault")
        doc = native.stack_doc(dump)
    return Output({k: doc[k] for k in CONTRACT}, lambda: report(args.file, doc, fault))


def report(path: str, doc: dict[str, Any], fault: dict[str, Any] | None) -> Iterator[str]:
    """The text report: what happened in plain words, then each thread's frames as gdb prints them."""
    sig = doc["signal"] or {}
    yield f"{path}: {native.summary(doc, fault)}"
    if sig.get("name"):
        yield f"Program terminated with signal {native.signal_line(sig, fault)}."
    for t in native.crashed_first(doc):
        mark = f" ({native.crashed_mark(doc)})" if t["tid"] == doc["crashed_thread"] else ""
        yield f"\nThread {t['tid']}{mark}:"
        frames = t["frames"]
        for i, f in enumerate(frames):
            where = f" at {f['file']}:{f['line']}" if f["file"] else f" from {f['module']}" if f["module"] else ""
            # like gdb: the address on the first (innermost) of a physical frame's functions, not on the ones
            # its inlined code sits in, nor on frame 0 when a source line names it
            first_of_frame = i == 0 or not frames[i - 1]["inlined"]
            pc = f"0x{f['pc']:016x} in " if first_of_frame and not (i == 0 and f["file"]) else ""
            how = "" if f["how"] == "cfi" else f"  [{f['how']}]"
            yield f"#{i:<2} {pc}{f['function'] or '??'}{where}{how}"
    missing = [m["path"] for m in doc["modules"] if m["symbols"] == "missing"]
    if missing:
        yield f"\nNo symbols for: {', '.join(missing)}"


COMMANDS = (
    Command("stack", "crash dumps (ELF cores): every thread's stack, symbolicated (like gdb's thread apply all bt)",
            stack, (
                FILE, INDEX_DIR, JSON,
                Arg.of("--exe", metavar="BIN", help="the program's binary (when it is not where the core says)"),
                Arg.of("--debug-dir", action="append", metavar="DIR",
                       help="a directory with a .build-id/xx/rest.debug tree or debug-link files (repeatable)"),
                Arg.of("--search-dir", action="append", metavar="DIR",
                       help="a directory holding the program's shared libraries by name (repeatable)")),
            (Kind.CRASH,), summary="ELF cores, like gdb's bt"),
)
