"""A heapy stat dump: entries of `.key: value` lines — loader, format (SetFormat: rows 'count size kind';
IdFormat: rows 'size kind', one object each; DiffFormat: a difference, with B's count and size), when it
was made, the totals, the kind header, the number of rows — then the rows, and `.end: .loader: …`
(guppy/heapy/Part.py: Stat.get_trows and dump). Each entry is an event of stack samples: one sample per
row, its kind the only frame, weighted by bytes and objects; rows keep their order."""

from __future__ import annotations

import os
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.file_numbers import in_int64
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.samples_rows import SamplesWriter

FORMATS = ("SetFormat", "IdFormat", "DiffFormat")
NUMBERS = ("count", "size", "numrows", "b_count", "b_size")
MAX_LINE_BYTES = 1 << 20


def _entries(path: str, progress: Progress) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    offset = 0
    total_bytes = max(1, os.path.getsize(path))
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            where = offset
            offset += len(raw)
            if len(raw) > MAX_LINE_BYTES:
                raise DumpFormatError(path, f"has a line of {len(raw):,} bytes at line {lineno}: not a heapy stat dump",
                                      where)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            key, sep, value = line.partition(": ")
            if not sep and line.endswith(":"):
                key, sep, value = line[:-1], ":", ""
            if not sep or not key.startswith("."):
                raise DumpFormatError(path, f"has a line that is not '.key: value' at line {lineno}: {line[:60]!r}",
                                      where)
            key = key[1:]
            if key == "loader":
                if cur is not None:
                    out.append(cur)
                cur = {"loader": value, "rows": [], "line": lineno}
                continue
            if cur is None:
                raise DumpFormatError(path, f"has '.{key}' before any '.loader:' line (line {lineno})", where)
            if key == "end":
                out.append(cur)
                cur = None
            elif key == "r":
                parts = value.split(" ", 1 if cur.get("format") == "IdFormat" else 2)
                try:
                    nums = [int(p) for p in parts[:-1]]
                except ValueError:
                    nums = []
                if len(parts) < 2 or len(nums) != len(parts) - 1 or not all(in_int64(n) for n in nums):
                    raise DumpFormatError(path, f"has a damaged row at line {lineno}: {line[:60]!r}", where)
                cur["rows"].append((1, nums[0], parts[-1]) if len(nums) == 1 else (nums[0], nums[1], parts[-1]))
            elif key in NUMBERS:
                try:
                    cur[key] = int(value)
                except ValueError:
                    cur[key] = None
                if cur[key] is None or not in_int64(cur[key]):
                    raise DumpFormatError(path, f"has a '.{key}' that is not a number of 64 bits at line {lineno}",
                                          where)
            elif key == "timemade":
                try:
                    cur[key] = float(value)
                    if cur[key] != cur[key] or abs(cur[key]) == float("inf"):
                        raise ValueError(value)
                except ValueError:
                    raise DumpFormatError(path, f"has a '.timemade' that is not a time at line {lineno}", where) \
                        from None
            else:
                cur[key] = value
            if lineno % 65536 == 0:
                progress.update(0.8 * offset / total_bytes, "reading the entries")
    if cur is not None:
        cur["cut"] = True
        out.append(cur)
    if not out:
        raise DumpFormatError(path, "holds no heapy stat entry", 0)
    for k, e in enumerate(out, 1):
        if e.get("format") not in FORMATS:
            raise DumpFormatError(path, f"has an entry (number {k}, line {e['line']}) of format "
                                  f"{e.get('format')!r}, not one of {', '.join(FORMATS)}", 0)
    return out


def read_stats(path: str, sink: IndexSink, progress: Progress) -> None:
    """Index the stat dump at `path`: its entries as events (named 'entry N'), their rows as samples."""
    entries = _entries(path, progress)
    w = SamplesWriter([("size", "bytes"), ("objects", "count")])
    described = []
    for k, e in enumerate(entries, 1):
        ev = w.event(f"entry {k}")
        for count, size, kind in e["rows"]:
            w.sample([w.frame(kind)], [size, count], event=ev)
        described.append({"format": e["format"], "time": e.get("timemade"), "count": e.get("count"),
                          "size": e.get("size"), "kindheader": e.get("kindheader", ""),
                          "kindname": e.get("kindname", ""), "numrows": e.get("numrows"),
                          "b_count": e.get("b_count"), "b_size": e.get("b_size"), "rows": len(e["rows"])})
        if e.get("cut") or (e.get("numrows") is not None and e["numrows"] != len(e["rows"])):
            sink.diagnostic(None, "heapy.cut", f"entry {k} (line {e['line']}) says it has {e.get('numrows')} rows "
                            f"but {len(e['rows'])} are there" + (" and has no '.end:' line: the file is cut short"
                                                                 if e.get("cut") else ""))
    progress.update(0.9, "writing the samples")
    # the docks open on the last partition (a difference's rows can be negative: a flame graph of it misleads)
    last_partition = max((k for k, e in enumerate(entries, 1) if e["format"] != "DiffFormat"), default=len(entries))
    w.write(sink, {"samples.source": "heapy", "samples.default_type": "size", "heapy.entries": described,
                   "samples.default_event": f"entry {last_partition}"})
