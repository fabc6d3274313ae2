"""bpftrace map output into stack samples: the text form (`@name[` on a line, a stack's frames one per line
innermost first, further key parts after a `,`, then `]: N`) and `-f json` (one `{"type": "map"}` record per
map, a stack key its frames joined by newlines). Frames are `func+off` (the offset dropped, as for perf), bare
addresses, or perf's form with `ustack(perf)`. Key parts that are not stacks (`comm`) become the stack's root
frames, where FlameGraph's stackcollapse-bpftrace.pl puts them. One-line keys without a stack are not
samples: they are counted and reported."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pmdesk.readers.stacktext.perf_script import Frame, frame_kind, parse_frame

START = re.compile(r"^(?P<map>@\w*)\[$")
END = re.compile(r"^,?\s?(?P<extra>.*)\]: (?P<value>-?\d+)$")
ONE_LINE = re.compile(r"^(?P<map>@\w*)(?:\[(?P<key>.*)\])?: (?P<value>-?\d+)$")
SYMBOL_OFFSET = re.compile(r"\+\d+$")


@dataclass
class Entry:
    map: str
    frames: list[Frame]      # innermost first
    roots: list[str]         # key parts that are not stacks, outermost first
    value: int
    line: int


def bpftrace_frame(text: str) -> Frame:
    """A frame line of ustack/kstack in bpftrace's own form or perf's."""
    perf = parse_frame(text)
    if perf is not None:  # bpftrace writes perf's form with a decimal offset
        perf.function = SYMBOL_OFFSET.sub("", perf.function)
        return perf
    name = SYMBOL_OFFSET.sub("", text.strip())
    return Frame(name, None, "kernel" if name.startswith("0xffff") else "user")


def text_entries(lines: Iterator[str], skipped: list[int]) -> Iterator[Entry]:
    """The stack keys of bpftrace's text output; lines of one-line keys go into `skipped`."""
    in_key: str | None = None
    frames: list[Frame] = []
    start = 0
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if in_key is None:
            m = START.match(line)
            if m:
                in_key, frames, start = m["map"], [], n
            elif ONE_LINE.match(line):
                skipped.append(n)
            continue
        m = END.match(line)
        if m:
            extra = m["extra"].strip()
            yield Entry(in_key, frames, [p.strip() for p in extra.split(", ")] if extra else [], int(m["value"]), start)
            in_key = None
        elif line.strip() in (",", ""):
            continue  # between two stacks of one key (kstack, ustack)
        else:
            frames.append(bpftrace_frame(line))


def json_entries(lines: Iterator[str], skipped: list[int]) -> Iterator[Entry]:
    """The stack keys of `bpftrace -f json` output (one JSON record per line)."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            skipped.append(n)
            continue
        if not isinstance(rec, dict) or rec.get("type") != "map" or not isinstance(rec.get("data"), dict):
            continue
        for name, values in rec["data"].items():
            if not isinstance(values, dict):
                skipped.append(n)
                continue
            for key, value in values.items():
                parts = [p for p in str(key).split("\n") if p.strip()]
                if "\n" not in str(key) or not isinstance(value, int):
                    skipped.append(n)
                    continue
                yield Entry(name, [bpftrace_frame(p) for p in parts], [], value, n)


__all__ = ["Entry", "frame_kind", "json_entries", "text_entries"]
