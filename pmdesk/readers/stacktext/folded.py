"""Folded stacks (`a;b;c N`, frames outermost first, as FlameGraph's stackcollapse scripts, BCC's `-f`,
speedscope and inferno write them): a name may hold spaces (the count is after the last one); FlameGraph's
annotations `_[k]` (kernel), `_[i]` (inlined), `_[j]` (JIT) set the frame's kind and are kept in its name;
difffolded.pl's two-column form (`stack A B`) gives two value types."""

from __future__ import annotations

import re
from collections.abc import Iterator

LINE = re.compile(r"^(?P<stack>.*?\S)\s+(?P<a>-?\d+(?:\.\d*)?)(?:\s+(?P<b>-?\d+(?:\.\d*)?))?\s*$")
ANNOTATIONS = {"_[k]": "kernel", "_[i]": "inlined", "_[j]": "jit"}


def kind_of(name: str) -> str:
    return next((k for suffix, k in ANNOTATIONS.items() if name.endswith(suffix)), "user")


def lines(text: Iterator[str], unrecognised: list[int]) -> Iterator[tuple[list[str], float, float | None, int]]:
    """(frames outermost first, count, second count or None, line number) for each stack line."""
    for n, raw in enumerate(text, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        m = LINE.match(line)
        if m is None:
            unrecognised.append(n)
            continue
        yield m["stack"].split(";"), float(m["a"]), float(m["b"]) if m["b"] is not None else None, n
