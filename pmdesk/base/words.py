"""Counts in words: `plural(1, "chunk")` → '1 chunk', `plural(3, "dump")` → '3 dumps' (with thousands separators)."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"
