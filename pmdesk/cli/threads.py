"""CLI command for thread dumps: `pmdesk threads FILE…` — threads, locks, deadlocks, stack groups and the
threads stuck across a series of dumps (several files, or a log holding several dumps)."""

from __future__ import annotations

from collections.abc import Iterator

from pmdesk.cli.command import JSON, Arg, Command, Invocation, Output
from pmdesk.model.formats import Kind


def threads(inv: Invocation) -> Output:
    from pmdesk.model.threads import dumps

    opened = [inv.open(f) for f in inv.args.files]
    doc = dumps.report(opened)

    def text() -> Iterator[str]:
        series = [dv for d in opened for dv in dumps.load_dumps(d)]
        last = series[-1]
        yield f"{doc['dumps']} dump(s); the last one ({last.label}) has {len(last.threads)} threads"
        for dl in last.deadlocks:
            yield f"DEADLOCK: {' -> '.join(dl.threads)} -> {dl.threads[0]} (locks {', '.join(dl.locks)})"
        if doc["stuck"]:
            yield f"stuck in all {doc['dumps']} dumps: {', '.join(doc['stuck'])}"
        for g in dumps.groups(last.threads):
            top = str(g.frames[0]) if g.frames else "(no frames)"
            names = ", ".join(t.name for t in g.threads[:4]) + (" …" if len(g.threads) > 4 else "")
            yield f" {len(g.threads):>4}  {g.state:<14} {top}  [{names}]"

    return Output({"files": inv.args.files, **doc}, text)


COMMANDS = (
    Command("threads", "thread dumps: threads, locks, deadlocks, stack groups, stuck threads (several files = a "
            "series)", threads, (
                Arg.of("files", nargs="+", metavar="FILE", help="thread dumps or logs holding them, oldest first"),
                Arg.of("--index-dir", metavar="DIR", help="where the indexes live (default: the user cache dir)"),
                JSON), (Kind.THREADS,), summary="thread dumps: threads, locks, deadlocks, groups, stuck"),
)
