"""The CLI command for ELF cores: `pmdesk stack CORE` — every thread's symbolicated stack, crashing thread
first, like gdb's `thread apply all bt`, or the `--json` document."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pmdesk.base.errors import PmdeskError
from pmdesk.model.crash import report as native
from pmdesk.readers import read_head, sniff
from pmdesk.readers.elfcore import ElfCoreReader

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

OpenDump = Callable[[argparse.Namespace], "Dump"]
CONTRACT = ("signal", "crashed_thread", "threads", "modules", "deadlocks")  # the keys, and deadlocks


def cmd_stack(args: argparse.Namespace, open_dump: OpenDump) -> int:
    if args.exe or args.debug_dir or args.search_dir:  # other search paths: straight from the core, no index
        from pmdesk.native.symbol_files import SearchPaths

        head = read_head(args.file)
        if not ElfCoreReader.sniff(head) and not ElfCoreReader.sniff_deep(args.file, head):
            raise PmdeskError(args.file, f"is a {sniff(args.file).SPEC.name} file; 'stack' needs an ELF core dump")
        try:
            doc = native.live_stack_doc(args.file, SearchPaths(exe=args.exe, search_dirs=args.search_dir or [],
                                                               debug_dirs=args.debug_dir or []))
        except ValueError as e:
            raise PmdeskError(args.file, str(e)) from None
        for w in doc.pop("_warnings"):
            print(f"warning: {w}", file=sys.stderr)
        fault = doc.pop("_fault")
    else:
        with open_dump(args) as dump:
            if dump.format != "elfcore":
                raise PmdeskError(args.file, f"is a {dump.format} file; 'stack' needs an ELF core dump")
            fault = dump.meta.get("core.fault")
            doc = native.stack_doc(dump)
    if args.json:
        print(json.dumps({k: doc[k] for k in CONTRACT}, indent=1))
        return 0
    print(report(args.file, doc, fault))
    return 0


def report(path: str, doc: dict[str, Any], fault: dict[str, Any] | None) -> str:
    sig = doc["signal"] or {}
    lines = [f"{path}: {native.summary(doc, fault)}"]
    if sig.get("name"):
        lines.append(f"Program terminated with signal {native.signal_line(sig, fault)}.")
    for t in native.crashed_first(doc):
        mark = f" ({native.crashed_mark(doc)})" if t["tid"] == doc["crashed_thread"] else ""
        lines.append(f"\nThread {t['tid']}{mark}:")
        frames = t["frames"]
        for i, f in enumerate(frames):
            where = f" at {f['file']}:{f['line']}" if f["file"] else f" from {f['module']}" if f["module"] else ""
            # like gdb: the address on the first (innermost) of a physical frame's functions, not on the ones
            # its inlined code sits in, nor on frame 0 when a source line names it
            first_of_frame = i == 0 or not frames[i - 1]["inlined"]
            pc = f"0x{f['pc']:016x} in " if first_of_frame and not (i == 0 and f["file"]) else ""
            how = "" if f["how"] == "cfi" else f"  [{f['how']}]"
            lines.append(f"#{i:<2} {pc}{f['function'] or '??'}{where}{how}")
    missing = [m["path"] for m in doc["modules"] if m["symbols"] == "missing"]
    if missing:
        lines.append(f"\nNo symbols for: {', '.join(missing)}")
    return "\n".join(lines)


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None], open_dump: OpenDump) -> None:
    sp = sub.add_parser("stack", help="ELF cores: every thread's stack, symbolicated (like gdb's thread apply all bt)")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--exe", metavar="BIN", help="the program's binary (when it is not where the core says)")
    sp.add_argument("--debug-dir", action="append", metavar="DIR",
                    help="a directory with a .build-id/xx/rest.debug tree or debug-link files (repeatable)")
    sp.add_argument("--search-dir", action="append", metavar="DIR",
                    help="a directory holding the program's shared libraries by name (repeatable)")
    sp.set_defaults(func=lambda a: cmd_stack(a, open_dump))
