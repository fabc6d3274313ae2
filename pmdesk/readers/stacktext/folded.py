"""Folded stacks (`a;b;c N`, frames outermost first, as FlameGraph's stackcollapse scripts, BCC's `-f`,
speedscope and inferno write them): a name may hold spaces (the count is after the last one); FlameGraph's
annotations `_[k]` (kernel), `_[i]` (inlined), `_[j]` (JIT) set the frame's kind and are kept in its name;
difffolded.pl's two-column form (`stack A B`) gives two value types. Each line is split from its end, each
frame name looked up once (a million stacks of twenty frames are read in seconds)."""

from __future__ import annotations

import re
from collections.abc import Iterator

NUMBER = re.compile(r"-?\d+(?:\.\d*)?")
ANNOTATIONS = {"_[k]": "kernel", "_[i]": "inlined", "_[j]": "jit"}


def kind_of(name: str) -> str:
    return ANNOTATIONS.get(name[-4:], "user")


def split(line: str, two: bool) -> tuple[str, float, float | None] | None:
    """(stack text, count, second count) of a line — the counts are its last whitespace-separated fields, two
    of them in difffolded.pl's form (`two`) — or None when it does not end in a count."""
    parts = line.rsplit(None, 2 if two else 1)
    if two and len(parts) == 3 and NUMBER.fullmatch(parts[1]) and NUMBER.fullmatch(parts[2]):
        return parts[0], float(parts[1]), float(parts[2])
    if two:
        parts = line.rsplit(None, 1)
    if len(parts) == 2 and NUMBER.fullmatch(parts[1]):
        return parts[0], float(parts[1]), None
    return None


def lines(text: Iterator[str], unrecognised: list[int]) -> Iterator[tuple[list[str], float, float | None, int]]:
    """(frames outermost first, count, second count or None, line number) for each stack line; the file is
    in the two-count form when its first stack line is."""
    two: bool | None = None
    for n, raw in enumerate(text, 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if two is None:
            got = split(line, True)
            two = got is not None and got[2] is not None
        else:
            got = split(line, two)
        if got is None:
            unrecognised.append(n)
            continue
        yield got[0].split(";"), got[1], got[2], n
