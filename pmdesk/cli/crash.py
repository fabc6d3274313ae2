"""The CLI command for native crashes: `pmdesk stack FILE` — every thread's symbolicated stack, crashing
thread first, like gdb's `thread apply all bt`, or the `--json` document."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pmdesk.base.errors import PmdeskError
from pmdesk.cli.command import FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, check_paths
from pmdesk.model.crash import report
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.base.crash import Crash, Wait

CONTRACT = ("signal", "crashed_thread", "threads", "modules", "deadlocks",  # the keys, and deadlocks
            "crash_info", "system_info")  # added with rust-minidump's names


def stack(inv: Invocation) -> Output:
    from pmdesk.model.crash.jvm_log import with_jvm_log
    from pmdesk.model.crash.store import deadlocks_of, load_crash, stored_deadlocks

    args = inv.args
    check_paths(args)
    symbol_dirs = [*(args.search_dir or []), *(args.symbols or [])]
    if args.exe or args.debug_dir or symbol_dirs:  # other search paths: the dump read again, no index
        from pmdesk.base.progress import Progress
        from pmdesk.native.symbol_files import SearchPaths

        fmt = inv.check_kind(args.file)
        paths = SearchPaths(exe=args.exe, search_dirs=symbol_dirs, debug_dirs=args.debug_dir or [])
        crash = with_jvm_log(fmt.reader.crash(args.file, paths, Progress(path=args.file)), args.file)
        deadlocks = deadlocks_of(crash)
        for pr in crash.problems:
            if pr.severity in ("warning", "error"):
                print(f"warning: {args.file}: {pr.message}", file=sys.stderr)
    else:
        dump = inv.open(args.file)
        crash, deadlocks = load_crash(dump), stored_deadlocks(dump)
    doc = report.stack_doc(crash, deadlocks)
    return Output({k: doc[k] for k in CONTRACT}, lambda: text_report(args.file, crash, deadlocks))


def text_report(path: str, crash: Crash, deadlocks: list[list[Wait]]) -> Iterator[str]:
    """What happened in plain words, then each thread's frames as gdb prints them."""
    c = crash.cause
    digits = report.address_digits(crash.process.arch)
    yield f"{path}: {report.summary(crash, deadlocks)}"
    if c.signal_name and not crash.snapshot:
        yield f"Program terminated with signal {report.signal_line(c)}."
    crashed = crash.crashed_thread
    for t in report.crashed_first(crash):
        mark = f" ({report.crashed_mark(crash)})" if t is crashed else ""
        named = f' "{t.name}" ({t.state})' if t.state else ""  # a report that words each thread's state (a JVM's)
        yield f"\nThread {t.tid}{named}{mark}:"
        frames = t.frames
        for i, f in enumerate(frames):
            where = f" at {f.file}" + (f":{f.line}" if f.line is not None else "") if f.file else \
                f" from {f.module}" if f.module else ""
            # like gdb: the address on the first (innermost) of a physical frame's functions, not on the ones
            # its inlined code sits in, nor on frame 0 when a source line names it
            first_of_frame = i == 0 or not frames[i - 1].inlined
            known = f.pc or f.trust != "symbolicated-by-report"  # a report's Java frames have no address
            pc = f"0x{f.pc:0{digits}x} in " if first_of_frame and known and not (i == 0 and f.file) else ""
            how = "" if f.how == "cfi" else f"  [{f.how}]"
            yield f"#{i:<2} {pc}{f.function or '??'}{where}{how}"
    missing = report.unsymbolicated_modules(crash)
    if missing:
        yield f"\nNo symbols for: {', '.join(missing)}"


def translate(inv: Invocation) -> Output:
    """An .ips as the .crash text Console shows; with --symbolicate, its unnamed frames named from dSYMs."""
    from pmdesk.native.symbol_files import SearchPaths

    args = inv.args
    check_paths(args)
    fmt = inv.check_kind(args.file)
    if not hasattr(fmt.reader, "translate"):
        raise PmdeskError(args.file, f"is {fmt.what}; 'translate' renders Apple .ips crash reports as .crash text")
    paths = SearchPaths(debug_dirs=args.debug_dir or []) if args.symbolicate or args.debug_dir else None
    rendered = fmt.reader.translate(args.file, paths)
    return Output(None, lambda: [rendered.removesuffix("\n")])


COMMANDS = (
    Command("stack", "crash dumps (ELF cores): every thread's stack, symbolicated (like gdb's thread apply all bt)",
            stack, (
                FILE, INDEX_DIR, JSON,
                Arg.of("--exe", metavar="BIN", help="the program's binary (when it is not where the core says)"),
                Arg.of("--debug-dir", action="append", metavar="DIR",
                       help="a directory with a .build-id/xx/rest.debug tree or debug-link files (repeatable)"),
                Arg.of("--search-dir", action="append", metavar="DIR",
                       help="a directory holding the program's shared libraries by name (repeatable)"),
                Arg.of("--symbols", action="append", metavar="DIR",
                       help="a folder of Breakpad .sym files (symbol-server layout NAME/ID/NAME.sym or any) and "
                            "binaries, searched by debug id and build-id (repeatable)")),
            (Kind.CRASH,), summary="crash dumps: every thread's stack, like gdb's bt"),
    Command("translate", "Apple .ips crash reports: the report as the .crash text Console shows, symbolicated "
            "from dSYMs (found by UUID) with --symbolicate, as MacSymbolicator writes it", translate, (
                FILE,
                Arg.of("--symbolicate", action="store_true",
                       help="name the frames the report left unnamed, from dSYMs beside it or in --debug-dir"),
                Arg.of("--debug-dir", action="append", metavar="DIR",
                       help="a folder holding dSYMs or Mach-O binaries, searched by UUID (repeatable; implies "
                            "--symbolicate)")),
            (Kind.CRASH,), summary=".ips as .crash text, symbolicated (like MacSymbolicator)"),
)
