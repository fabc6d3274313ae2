"""What a CLI command is — declared once, as a `Command` record (name, help, arguments, the data kinds it
reads, the function that runs it) from which the parser, the launcher's list of subcommands and the
README's command table are built — and what commands share: opening a dump with the one wrong-format
check, a progress bar on a terminal, the `Output` a command returns (a JSON document and/or text)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.model.formats import Format, Kind, sniff, wrong_kind

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump


@dataclass(frozen=True)
class Arg:
    """One argparse argument: its names and add_argument's keywords."""

    names: tuple[str, ...]
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, *names: str, **options: Any) -> Arg:
        return cls(names, tuple(options.items()))

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.names, **dict(self.options))

    def synopsis(self) -> str:
        """How the README's command table shows it: FILE, FILE…, [--top N], [--debug-dir DIR]…"""
        o = dict(self.options)
        name = self.names[0]
        if not name.startswith("-"):
            shown = o.get("metavar") or name.upper()
            return {"+": f"{shown}…", "*": f"[{shown}…]", "?": f"[{shown}]"}.get(o.get("nargs"), shown)
        if o.get("action") in ("store_true", "store_false"):
            return f"[{name}]"
        value = "|".join(o["choices"]) if "choices" in o else o.get("metavar") or name.lstrip("-").upper()
        if o.get("required"):
            return f"{name} {value}"
        return f"[{name} {value}]" + ("…" if o.get("action") == "append" else "")


@dataclass
class Output:
    """What a command produced: `doc` is printed as JSON with --json (a contract: exactly its keys), `text`
    (lines, made when asked for) otherwise."""

    doc: dict[str, Any] | None = None
    text: Callable[[], Iterable[str]] | None = None
    indent: int = 1


class Invocation(contextlib.ExitStack):
    """One run of a command: its arguments, and the dumps it opened (closed once the output is printed).
    `suggest` names the command to try for a file of other kinds."""

    def __init__(self, command: Command, args: argparse.Namespace,
                 suggest: Callable[[Sequence[Kind]], str | None] = lambda _kinds: None) -> None:
        super().__init__()
        self.command = command
        self.args = args
        self.suggest = suggest

    def check_kind(self, path: str, kinds: Sequence[Kind] | None = None) -> Format:
        """The one wrong-format check: refuse a file whose format holds none of the kinds the command reads."""
        needs = tuple(kinds if kinds is not None else self.command.kinds)
        fmt = sniff(path)
        if needs and not any(fmt.has(k) for k in needs):
            raise wrong_kind(path, fmt, self.command.name, needs, self.suggest(fmt.kinds))
        return fmt

    @staticmethod
    def _notice(kernels: bool, bar: Progress) -> contextlib.AbstractContextManager[None]:
        """On a terminal, a line when numba starts compiling the kernels this work runs (first run only)."""
        if not kernels or not sys.stderr.isatty():
            return contextlib.nullcontext()
        from pmdesk.index.compile_notice import compile_notice

        def say(message: str) -> None:
            end_progress(bar)
            print(f"pmdesk: {message}…", file=sys.stderr, flush=True)

        return compile_notice(say)

    def open(self, path: str, kinds: Sequence[Kind] | None = None, force: bool = False, graph: bool = False) -> Dump:
        """Open (indexing if needed) a dump of one of `kinds` (default: the command's); with `graph`, make
        sure its object graph and dominators are there. Warnings about the dump go to stderr."""
        from pmdesk.model.dump import Dump

        fmt = self.check_kind(path, kinds)
        from pmdesk.model.dump import with_program

        fmt, index_dir = with_program(path, fmt, getattr(self.args, "exe", None), getattr(self.args, "index_dir", None))
        label = os.path.basename(path)
        bar = terminal_progress(label)
        with self._notice(fmt.reader.SPEC.kernels or graph, bar):
            try:
                dump = self.enter_context(Dump.open(path, index_dir=index_dir, progress=bar, force=force, fmt=fmt))
            finally:
                end_progress(bar)
            if graph:
                from pmdesk.model.heap.graph import ensure_graph

                bar = terminal_progress(f"{label} graph")
                try:
                    ensure_graph(dump, bar)
                finally:
                    end_progress(bar)
        if dump.waited:
            print(f"pmdesk: {path}: another pmdesk was indexing this dump; its index is used", file=sys.stderr)
        for w in dump.warnings():
            print(f"warning: {w}", file=sys.stderr)
        return dump


@dataclass(frozen=True)
class Command:
    """A subcommand. `kinds`: the data kinds it reads (a dump of another kind is refused with one line);
    empty for commands that take any dump."""

    name: str
    help: str
    run: Callable[[Invocation], Output]
    args: tuple[Arg, ...] = ()
    kinds: tuple[Kind, ...] = ()
    summary: str = ""  # the README table's comment (default: help)
    extras: tuple[str, ...] = field(default=())  # README synopsis tail the arguments do not show

    def add_to(self, sub: Any, formatter: type[argparse.HelpFormatter] = argparse.HelpFormatter) -> None:
        sp = sub.add_parser(self.name, help=self.help, description=self.help, formatter_class=formatter)
        for a in self.args:
            a.add_to(sp)
        sp.set_defaults(command_record=self)

    def synopsis(self) -> str:
        parts = [a.synopsis() for a in self.args if a.names[0] != "--index-dir"]
        return " ".join(["pmdesk", self.name, *parts, *self.extras])


class TerminalBar:
    """A progress bar on stderr (a terminal only), redrawn in place; `end()` finishes its line so that what is
    printed next starts on a line of its own."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = 0.0
        self.open = False

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and fraction < 1.0:
            return
        self.last = now
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {fraction * 100:5.1f}% {message[:40]:<40}")
        sys.stderr.flush()
        self.open = True

    def end(self) -> None:
        if self.open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.open = False


def terminal_progress(label: str) -> Progress:
    """A progress bar on stderr when it is a terminal (ended when the work is); silent otherwise."""
    if not sys.stderr.isatty():
        return Progress()
    return Progress(TerminalBar(label))


def end_progress(progress: Progress) -> None:
    if isinstance(progress.callback, TerminalBar):
        progress.callback.end()


FILE = Arg.of("file", help="the dump")
INDEX_DIR = Arg.of("--index-dir", metavar="DIR", help="where the index lives (default: the user cache dir)")
JSON = Arg.of("--json", action="store_true", help="print the JSON document (its keys are a contract: see README)")


EXE = Arg.of("--exe", metavar="BIN", help="Go heap dumps: the program that wrote the dump (with its DWARF): objects "
             "typed and globals named by it")


def top(default: int | None, what: str = "rows") -> Arg:
    tail = f" (default {default})" if default else " (default: all)"
    return Arg.of("--top", type=int, default=default, metavar="N", help=f"only the first N {what}{tail}")


def check_paths(args: Any) -> None:
    """Symbol paths that are not there are said, not silently ignored."""
    if getattr(args, "exe", None) and not os.path.isfile(args.exe):
        raise PmdeskError(args.exe, "no such file (given with --exe)")
    for option, dirs in (("--debug-dir", args.debug_dir), ("--search-dir", getattr(args, "search_dir", None)),
                         ("--symbols", getattr(args, "symbols", None))):
        for d in dirs or []:
            if not os.path.isdir(d):
                raise PmdeskError(d, f"no such directory (given with {option})")
