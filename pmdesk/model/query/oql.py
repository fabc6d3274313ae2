"""Eclipse MAT's common OQL forms, translated to SQL over the query views (views.py). The forms (MAT's OQL
syntax, help.eclipse.org/latest/topic/org.eclipse.mat.ui.help/reference/oqlsyntax.html):

    SELECT * FROM java.util.HashMap                         every instance of a class
    SELECT * FROM INSTANCEOF java.util.AbstractMap          … of it and its subclasses
    SELECT * FROM "java\\.util\\..*Map"                     … of the classes a regular expression names
    SELECT s FROM java.lang.String s WHERE s.@retainedHeapSize > 1000
    SELECT toString(s), s.@usedHeapSize FROM java.lang.String s WHERE toString(s) LIKE "evt%"
    SELECT * FROM java.util.HashMap WHERE size > 1000       a field (s.size, or size alone)

Attributes: @objectId and @objectAddress (the id), @usedHeapSize (shallow bytes), @retainedHeapSize, @clazz /
classof(x) (the class name), @displayName. A field becomes field(id, 'name'), toString(x) value(id) — SQL
functions the console defines, which read the object from the dump.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

ATTRIBUTES = {"@objectid": "id", "@objectaddress": "id", "@usedheapsize": "shallow_bytes",
              "@retainedheapsize": "retained_bytes", "@clazz": "class", "@displayname": "class"}
SQL_WORDS = frozenset("""select from where and or not like in is null between as distinct order by group having
limit offset asc desc case when then else end exists glob regexp true false union all""".split())
_FORM = re.compile(r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<instanceof>INSTANCEOF\s+)?"
                   r"(?P<cls>\"[^\"]+\"|[\w$.\[\]]+)(?:\s+(?P<alias>(?!WHERE\b)[A-Za-z_]\w*))?"
                   r"(?:\s+WHERE\s+(?P<where>.+?))?\s*;?\s*$", re.I | re.S)
_TOKEN = re.compile(r"""(?P<str>"[^"]*"|'[^']*')|(?P<call>(?:toString|classof)\s*\(\s*(?P<arg>[A-Za-z_]\w*)\s*\))|"""
                    r"""(?P<path>(?:[A-Za-z_]\w*\.)?@?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)""", re.I)


def looks_like_oql(text: str, view_names: set[str]) -> bool:
    """Whether the text is OQL: a SELECT whose FROM names a class (dotted, an array, INSTANCEOF, a quoted
    regular expression), not one of the views."""
    m = _FORM.match(text)
    if not m:
        return False
    cls = m["cls"]
    return bool(m["instanceof"]) or cls.startswith('"') or ("." in cls or "[" in cls) and cls not in view_names


@dataclass
class Translation:
    sql: str
    classes: list[str] | None = None   # the classes FROM names (None: a regular expression's)
    pattern: str | None = None         # FROM "regex"
    fields: list[str] = field(default_factory=list)  # the fields the query reads (read ahead in one pass)


def translate(text: str, subclasses: Callable[[str], list[str]]) -> Translation:
    """The SQL for an OQL query (ValueError when it is not one of the forms above). `subclasses(name)` gives a
    class and its subclasses' names, for INSTANCEOF."""
    m = _FORM.match(text)
    if not m:
        raise ValueError("not an OQL query pmdesk reads: SELECT … FROM [INSTANCEOF] class [alias] [WHERE …]")
    alias = m["alias"]
    cls = m["cls"]
    out = Translation("")
    if cls.startswith('"'):
        out.pattern = "^(?:" + cls[1:-1] + ")$"
        where_class = f"class REGEXP {_quote(out.pattern)}"
    else:
        out.classes = (subclasses(cls) or [cls]) if m["instanceof"] else [cls]
        where_class = f"class IN ({', '.join(_quote(n) for n in out.classes)})"
    select = _expression(m["select"], alias, out.fields, select=True)
    where = f" WHERE {_expression(m['where'], alias, out.fields)}" if m["where"] else ""
    # the class's objects first (a MATERIALIZED CTE: SQLite would otherwise test a field of every object)
    out.sql = f"WITH o AS MATERIALIZED (SELECT * FROM objects WHERE {where_class}) SELECT {select} FROM o{where}"
    return out


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _expression(text: str, alias: str | None, fields: list[str], select: bool = False) -> str:
    """OQL expressions as SQL: strings in single quotes, attributes as columns, fields as field(id, …)."""
    if select and text.strip() == "*":
        return "id, class, shallow_bytes, retained_bytes"

    def one(m: re.Match[str]) -> str:
        if m["str"]:
            return _quote(m["str"][1:-1])
        if m["call"]:
            return "value(id)" if m["call"].lower().startswith("tostring") else "class"
        word = m["path"]
        parts = word.split(".")
        if alias and parts[0] == alias:
            parts = parts[1:]
            if not parts:
                return "id"
        if not parts:
            return word
        head = parts[0].lower()
        if head in ATTRIBUTES:
            return ATTRIBUTES[head]
        if parts[0] in ("id", "class", "shallow_bytes", "retained_bytes") and len(parts) == 1:
            return parts[0]
        if head in SQL_WORDS:
            return word
        if parts[0] not in fields:
            fields.append(parts[0])
        expr = "id"
        for p in parts:   # s.table.size: field of a field
            expr = f"field({expr}, {_quote(p)})"
        return expr

    return _TOKEN.sub(one, text)
