"""The query console over a dump's index: SQL (or MAT's OQL, translated) over the views of views.py, on a
connection that cannot change anything — the index and the query store opened read-only (`mode=ro`),
`query_only` on, and an authorizer that allows reading and nothing else (no INSERT/UPDATE/DELETE, no CREATE,
no ATTACH, no PRAGMA). A long query reports its progress and stops when cancelled (SQLite's progress
handler); results stop at a row limit. SQL functions: field(id, name) — an object's field or element
('[3]'; it reads the object from the dump, so narrow the rows first: OQL's fields are read ahead for the whole
class in one pass), value(id) — a string's text or a boxed number's value (from the strings view), REGEXP."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.model.formats import Kind
from pmdesk.model.query import oql
from pmdesk.model.query.store import MATERIALISED, make
from pmdesk.model.query.views import View, views_of

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump

ROW_LIMIT = 10_000
PROGRESS_STEPS = 100_000   # SQLite virtual-machine steps between two cancellation checks
ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
           getattr(sqlite3, "SQLITE_RECURSIVE", 33)}   # what the authorizer lets a statement do: read


@dataclass
class Result:
    sql: str                       # what ran (the OQL's translation when the input was OQL)
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool                # more rows than the limit
    oql: str | None = None         # the OQL given, when it was OQL
    id_columns: list[int] = field(default_factory=list)  # columns holding object ids (links to the heap docks)


class QueryConsole:
    """SQL over one dump."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.views: list[View] = views_of(dump.spec.kinds)

    @property
    def names(self) -> dict[str, tuple[str, ...]]:
        """Every view and its columns (what the editor completes)."""
        return {v.name: v.columns for v in self.views}

    def _subclasses(self, name: str) -> list[str]:
        from pmdesk.model.heap.graph import heap_graph

        return heap_graph(self.dump).object_reader().subclasses(name)

    def prepare(self, text: str) -> tuple[str, oql.Translation | None]:
        """(the SQL to run, the OQL's translation, None when the text is SQL)."""
        names = {v.name for v in self.views}
        if self.dump.has(Kind.HEAP_GRAPH) and oql.looks_like_oql(text, names):
            try:
                t = oql.translate(text, self._subclasses)
            except ValueError as e:
                raise PmdeskError(self.dump.path, f"OQL: {e}") from None
            return t.sql, t
        return text, None

    def _read_ahead(self, t: oql.Translation, progress: Progress) -> dict[tuple[int, str], Any]:
        """The fields an OQL query reads, of every instance of its classes, read in one pass over the dump
        (one object at a time, a compressed dump is inflated again for each)."""
        from pmdesk.model.heap.graph import heap_graph

        g = heap_graph(self.dump)
        names = g.class_names
        wanted = [i for i, n in names.items() if (n in t.classes if t.classes is not None
                                                  else re.search(t.pattern or "", n))]
        nodes = np.nonzero(np.isin(g.node_class, wanted))[0].tolist()
        progress.update(0.5, f"reading {', '.join(t.fields)} of {len(nodes):,} objects")
        return g.object_reader().fields_of(nodes, t.fields)

    def run(self, text: str, limit: int = ROW_LIMIT, progress: Progress | None = None) -> Result:
        """Run one statement; a one-line PmdeskError for SQL that does not parse, names what is not there,
        or tries to change anything; Cancelled when `progress` is cancelled."""
        progress = progress or Progress(path=self.dump.path)
        sql, translation = self.prepare(text)
        given = text if translation is not None else None
        if not sql.strip():
            raise PmdeskError(self.dump.path, "the query is empty")
        wanted = [v.name for v in self.views if v.sql is None and re.search(rf"\b{v.name}\b", sql, re.I)]
        if self.dump.has(Kind.HEAP_GRAPH) and re.search(r"\bvalue\s*\(", sql, re.I) and "strings" not in wanted:
            wanted.append("strings")   # value(id) answers from it: one pass over the dump, not one per row
        store = make(self.dump, wanted, progress.part(0, 0.5)) if wanted else None
        known = self._read_ahead(translation, progress) if translation is not None and translation.fields else {}
        conn = self._connect(store, known)
        steps = [0]

        def tick() -> int:
            steps[0] += 1
            if progress.cancelled:
                return 1
            progress.callback and progress.callback(0.5, f"{steps[0] * PROGRESS_STEPS / 1e6:,.1f} M steps")
            return 0

        conn.set_progress_handler(tick, PROGRESS_STEPS)
        try:
            cur = conn.execute(sql)
            columns = [d[0] for d in cur.description or ()]
            rows = cur.fetchmany(limit + 1)
        except sqlite3.DatabaseError as e:
            if progress.cancelled:
                raise Cancelled(self.dump.path) from None
            raise PmdeskError(self.dump.path, _said(e)) from None
        except sqlite3.Warning as e:
            raise PmdeskError(self.dump.path, f"the query: {e}") from None
        finally:
            conn.close()
        ids = [i for i, c in enumerate(columns) if c.lower() in ("id", "source", "target", "dominator")] \
            if self.dump.has(Kind.HEAP_GRAPH) else []
        return Result(sql, columns, [tuple(r) for r in rows[:limit]], len(rows) > limit, given, ids)

    def _connect(self, store: Any, known: dict[tuple[int, str], Any]) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.dump.index_path}?mode=ro", uri=True, check_same_thread=False)
        have = set()
        if store is not None or any(v.sql is None for v in self.views):
            from pmdesk.model.query.store import made, store_path

            path = store or store_path(self.dump)
            have = made(path)
            if have:
                conn.execute("ATTACH DATABASE ? AS q", (f"file:{path}?mode=ro",))
        for v in self.views:
            body = v.sql if v.sql is not None else MATERIALISED[v.name][1] if v.name in have else None
            if body is not None:
                conn.execute(f"CREATE TEMP VIEW {v.name} AS {body}")
        self._functions(conn, known)
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_only_reading)
        return conn

    def _functions(self, conn: sqlite3.Connection, known: dict[tuple[int, str], Any]) -> None:
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        if not self.dump.has(Kind.HEAP_GRAPH):
            return
        from pmdesk.model.heap.graph import heap_graph

        g = heap_graph(self.dump)
        reader = g.object_reader()

        def node(obj_id: Any) -> int | None:
            return g.node_of(int(obj_id) & 0xFFFFFFFFFFFFFFFF) if isinstance(obj_id, int) else None

        def field_of(obj_id: Any, name: str) -> Any:
            n = node(obj_id)
            if n is not None and (n, name) in known:
                v = known[(n, name)]
            else:
                v = reader.field(n, str(name)) if n is not None else None
            return v if v is None or isinstance(v, (int, float, str)) else str(v)

        values: dict[int, str] | None = None

        def value_of(obj_id: Any) -> str | None:
            nonlocal values
            if values is None:   # the strings view's table, made before the query ran
                try:
                    values = dict(conn.execute("SELECT id, value FROM q.q_string"))
                except sqlite3.Error:
                    values = {}
            return values.get(obj_id) if isinstance(obj_id, int) else None

        conn.create_function("field", 2, field_of)
        conn.create_function("value", 1, value_of)


def _only_reading(action: int, *_args: Any) -> int:
    return sqlite3.SQLITE_OK if action in ALLOWED else sqlite3.SQLITE_DENY


def _regexp(pattern: str, text: Any) -> int:
    return int(text is not None and re.search(pattern, str(text)) is not None)


def _said(e: sqlite3.Error) -> str:
    text = str(e)
    if "not authorized" in text or "readonly" in text or "query_only" in text:
        return "the query console only reads: the statement would change something (not allowed)"
    return f"the query: {text}"
