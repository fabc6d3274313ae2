"""The headless command line: `pmdesk info|index|histogram FILE …` (the GUI is started by launcher.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from pmdesk import __version__
from pmdesk.core.errors import Cancelled, PmdeskError
from pmdesk.core.progress import Progress
from pmdesk.model import heap
from pmdesk.model.dump import Dump
from pmdesk.readers import known_formats

COMMANDS = ("info", "index", "histogram")
EXIT_OK, EXIT_UNREADABLE = 0, 2


def _terminal_progress(label: str) -> Progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return Progress()
    last = [0.0]

    def show(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and fraction < 1.0:
            return
        last[0] = now
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r{label} [{bar:<30}] {fraction * 100:5.1f}% {message[:40]:<40}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return Progress(show)


def _open(args: argparse.Namespace, force: bool = False) -> Dump:
    dump = Dump.open(args.file, index_dir=args.index_dir, progress=_terminal_progress(os.path.basename(args.file)),
                     force=force)
    for w in dump.warnings():
        print(f"warning: {w}", file=sys.stderr)
    return dump


def cmd_info(args: argparse.Namespace) -> int:
    with _open(args) as dump:
        m = dump.meta
        out: dict[str, Any] = {
            "file": args.file, "format": dump.format, "size": m.get("dump.size"),
            "reader": dump.reader.SPEC.name, "reader_version": dump.reader.SPEC.version,
            "index_path": str(dump.index_path), "index_state": "built" if dump.built else "reused",
            "index_seconds": m.get("index.seconds"),
            "summary": {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("summary.")},
            "details": {k: v for k, v in m.items() if k.startswith(f"{dump.format}.")},
            "diagnostics": len(dump.diagnostics()),
        }
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            for label, value in heap.overview(dump):
                print(f"{label + ':':<24}{value}")
            print(f"{'Index state:':<24}{out['index_state']}")
            print(f"{'Diagnostics:':<24}{out['diagnostics']}")
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    with _open(args, force=args.force) as dump:
        m = dump.meta
        state = "built" if dump.built else "up to date"
        print(f"{args.file}: index {state} in {m.get('index.seconds', 0):.2f} s -> {dump.index_path}")
    return EXIT_OK


def cmd_histogram(args: argparse.Namespace) -> int:
    with _open(args) as dump:
        rows = heap.histogram(dump, sort=args.sort, pattern=args.filter, top=args.top)
        m = dump.meta
        if args.json:
            print(json.dumps({
                "file": args.file, "format": dump.format, "objects": m.get("summary.objects"),
                "shallow_bytes": m.get("summary.shallow_bytes"),
                "classes": [{"name": r.name, "count": r.count, "shallow_bytes": r.shallow_bytes,
                             "retained_bytes": r.retained_bytes} for r in rows],
            }, indent=1))
            return EXIT_OK
        print(f" {'num':>5} {'#instances':>12} {'#bytes':>14} {'retained':>14}  class name")
        print("-" * 78)
        for i, r in enumerate(rows, 1):
            ret = f"{r.retained_bytes:,}" if r.retained_bytes is not None else ""
            print(f" {i:>4}: {r.count:>12,} {r.shallow_bytes:>14,} {ret:>14}  {r.name}")
        print(f"Total  {m.get('summary.objects', 0):>12,} {m.get('summary.shallow_bytes', 0):>14,}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmdesk", description=f"pmdesk {__version__}: post-mortem analyser. "
                                f"Reads: {known_formats()}. Run with FILE… (or none) to start the GUI.")
    p.add_argument("--version", action="version", version=f"pmdesk {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("file", help="the dump")
        sp.add_argument("--index-dir", metavar="DIR", help="where the index lives (default: user cache dir)")

    sp = sub.add_parser("info", help="format, size, reader, index and summary figures")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_info)

    sp = sub.add_parser("index", help="build (or rebuild) the index")
    common(sp)
    sp.add_argument("--force", action="store_true", help="rebuild even if a current index exists")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("histogram", help="class histogram (like jmap -histo)")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--top", type=int, metavar="N")
    sp.add_argument("--sort", choices=sorted(heap.SORT_KEYS), default="shallow")
    sp.add_argument("--filter", metavar="REGEX", help="only classes whose name matches")
    sp.set_defaults(func=cmd_histogram)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "filter", None):
        import re

        try:
            re.compile(args.filter)
        except re.error as e:
            print(f"pmdesk: --filter: invalid regular expression: {e}", file=sys.stderr)
            return EXIT_UNREADABLE
    try:
        return args.func(args)
    except Cancelled:
        print(f"{args.file}: cancelled", file=sys.stderr)
        return 130
    except PmdeskError as e:
        print(e.one_line(), file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print(f"{args.file}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
