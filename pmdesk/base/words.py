"""Counts in words: `plural(1, "chunk")` → '1 chunk', `plural(3, "dump")` → '3 dumps' (with thousands separators);
sizes in binary units: `human_bytes(1536)` → '1.5 KiB'."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def human_bytes(n: int) -> str:
    """A size as a person reads it: the largest binary unit under it, one decimal ('3.1 MiB', '905 B')."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
