"""`pmdesk query FILE SQL`: the query console headless — SQL (or MAT's OQL) over any dump's index, read-only;
the result as JSON, CSV or a table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from pmdesk.cli.command import EXE, FILE, INDEX_DIR, JSON, Arg, Command, Invocation, Output, terminal_progress


def _cell(v: Any) -> str:
    return "NULL" if v is None else str(v)


def query(inv: Invocation) -> Output:
    from pmdesk.cli.command import end_progress
    from pmdesk.model.formats import Kind
    from pmdesk.model.query.console import QueryConsole

    a = inv.args
    graph = inv.check_kind(a.file, ()).has(Kind.HEAP_GRAPH)
    console = QueryConsole(inv.open(a.file, kinds=(), graph=graph))
    if a.views or not a.sql:
        doc = {"file": a.file, "views": [{"name": v.name, "columns": list(v.columns), "what": v.what}
                                         for v in console.views]}
        return Output(doc, lambda: (f"{v.name}({', '.join(v.columns)})  — {v.what}" for v in console.views))
    bar = terminal_progress("query")
    try:
        r = console.run(a.sql, a.limit, bar)
    finally:
        end_progress(bar)
    doc = {"file": a.file, "sql": r.sql, "oql": r.oql, "columns": r.columns, "rows": [list(x) for x in r.rows],
           "truncated": r.truncated}
    if a.csv:
        def text() -> Iterator[str]:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(r.columns)
            w.writerows(r.rows)
            yield buf.getvalue().rstrip("\n")
        return Output(None, text)

    def table() -> Iterator[str]:
        if r.oql:
            yield f"-- as SQL: {r.sql}"
        cells = [[_cell(v) for v in row] for row in r.rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(r.columns)]
        yield "  ".join(c.ljust(w) for c, w in zip(r.columns, widths, strict=True))
        for row in cells:
            yield "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
        yield f"({len(r.rows):,} rows" + (f"; more not shown: --limit {a.limit * 10})" if r.truncated else ")")

    return Output(doc, table)


COMMANDS = (
    Command("query", "any dump: SQL (or Eclipse MAT's OQL) over its index, read-only", query, (
        FILE, Arg.of("sql", nargs="?", metavar="SQL", help="one statement: SQL over the views (--views lists "
                     "them), or OQL (SELECT * FROM java.util.HashMap WHERE size > 1000)"),
        INDEX_DIR, EXE, JSON, Arg.of("--csv", action="store_true", help="print the rows as CSV"),
        Arg.of("--limit", type=int, default=10_000, metavar="N", help="at most N rows (default 10000)"),
        Arg.of("--views", action="store_true", help="list the views and their columns")),
        summary="SQL or OQL over any dump's index, read-only; --views lists what it can read"),
)
