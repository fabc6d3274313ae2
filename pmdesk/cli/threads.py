"""CLI command for thread dumps: `pmdesk threads FILE…` — threads, locks, deadlocks, stack groups and the
threads stuck across a series of dumps (several files, or a log holding several dumps); the text prints each
thread's stack as jstack (or the Go runtime) does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pmdesk.base.errors import PmdeskError
from pmdesk.base.words import plural
from pmdesk.cli.command import JSON, Arg, Command, Invocation, Output
from pmdesk.model.formats import Kind

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump
    from pmdesk.model.threads.dumps import Deadlock, ThreadInfo

LOCK_WORDS = {"locked": "locked", "waiting_to_lock": "waiting to lock", "waiting_on": "waiting on",
              "parking": "parking to wait for", "waiting_to_relock": "waiting to re-lock in wait()",
              "eliminated": "eliminated"}


def threads(inv: Invocation) -> Output:
    from pmdesk.model.threads import dumps

    args = inv.args
    opened = [inv.open(f) for f in args.files]
    for f, d in zip(args.files, opened, strict=True):
        if not d.has_rows("td_thread"):  # a core: of a program whose runtime pmdesk does not read, or without it
            raise PmdeskError(f, _no_goroutines(f, d))
    doc = dumps.report(opened)
    series = [dv for d in opened for dv in dumps.load_dumps(d)]
    last = series[-1]
    chosen = last.threads
    if args.thread:
        chosen = [t for t in last.threads if args.thread in (t.name, t.ident)]
        if not chosen:
            raise PmdeskError(args.files[-1], f"has no thread named or numbered {args.thread!r} in its last dump")

    def text() -> Iterator[str]:
        if not args.thread:
            n = doc["dumps"]
            yield f"{plural(n, 'dump')}; the last one ({last.label}) has {plural(len(last.threads), 'thread')}"
            for dl in last.deadlocks:
                who = dl.members()
                yield f"DEADLOCK: {' -> '.join(who)} -> {who[0]} (locks {_locks(dl)})"
            if doc["stuck"]:
                yield f"stuck in all {n} dumps: {', '.join(doc['stuck'])}"
            for g in dumps.groups(last.threads):
                top = g.threads[0].top_frame
                names = ", ".join(t.name for t in g.threads[:4]) + (" …" if len(g.threads) > 4 else "")
                yield f" {len(g.threads):>4}  {g.state:<14} {top if top else '(no frames)'}  [{names}]"
            yield ""
        for t in chosen:
            yield from stack_lines(t)
            yield ""

    return Output({"files": args.files, **doc}, text)


def _no_goroutines(path: str, dump: Dump) -> str:
    """Why a core has no goroutines: its program is not here (its runtime is read through it), or not Go."""
    from pmdesk.model.crash.store import missing_program

    program = missing_program(dump)
    if program is not None:
        return (f"is {dump.spec.what} whose program ({program}) is not here: goroutines are read with it — put it "
                f"beside the core and run pmdesk index --force {path}")
    return f"is {dump.spec.what} of a program that is not Go: it holds native threads (pmdesk stack {path})"


def _locks(dl: Deadlock) -> str:
    return ", ".join(f"{lk} ({cls})" if cls else lk for lk, cls in zip(dl.locks, dl.classes or [None] * len(dl.locks),
                                                                        strict=False))


def stack_lines(t: ThreadInfo) -> Iterator[str]:
    """One thread as its runtime prints it: jstack's `"name" … / java.lang.Thread.State / at … / - locked`, the
    Go runtime's `goroutine N [state]: / function / \tfile:line / created by`, faulthandler's `Thread 0x…`."""
    if t.runtime == "go":
        yield f"goroutine {t.ident} [{t.state}{', ' + t.detail if t.detail else ''}]:"
        for f in t.frames:
            yield f"{f.function}(...)"
            if f.file:
                yield f"\t{f.file}:{f.line}" if f.line else f"\t{f.file}"
        if t.created_by:
            yield f"created by {t.created_by}"
        return
    if t.runtime != "java":
        yield f"{t.name} ({t.state}):" if t.state else f"{t.name}:"
        for f in t.frames:
            yield f'  File "{f.file}", line {f.line} in {f.function}' if f.file else f"  {f.function}"
        return
    ident = f" {t.ident}" if t.ident else ""
    yield f'"{t.name}"{ident}{" daemon" if t.daemon else ""}'
    if t.state:
        yield f"   java.lang.Thread.State: {t.state}"
    by_depth: dict[int, list[tuple[str, str, str | None]]] = {}
    for depth, rel, lock, cls in t.lock_lines:
        by_depth.setdefault(depth, []).append((rel, lock, cls))
    for depth, f in enumerate(t.frames):
        # jstack's words where the dump gave no file: hidden (lambda) classes have no source, others are native
        where = f"{f.file}:{f.line}" if f.file and f.line else (
            f.file or ("Unknown Source" if "$$Lambda" in f.function else "Native Method"))
        yield f"\tat {f.function}({where})"
        for rel, lock, cls in by_depth.get(depth, []):
            yield f"\t- {LOCK_WORDS.get(rel, rel)} <{lock}>" + (f" (a {cls})" if cls else "")
    owned = by_depth.get(-1, [])
    if owned:
        yield ""
        yield "   Locked ownable synchronizers:"
        for _rel, lock, cls in owned:
            yield f"\t- <{lock}>" + (f" (a {cls})" if cls else "")


COMMANDS = (
    Command("threads", "thread dumps: threads, locks, deadlocks, stack groups, stuck threads (several files = a "
            "series)", threads, (
                Arg.of("files", nargs="+", metavar="FILE", help="thread dumps or logs holding them, oldest first"),
                Arg.of("--index-dir", metavar="DIR", help="where the indexes live (default: the user cache dir)"),
                JSON, Arg.of("--thread", metavar="NAME|ID", help="only this thread's stack (of the last dump), by "
                             "name or id")),
            (Kind.THREADS,), summary="thread dumps: threads, locks, deadlocks, groups, stuck"),
)
