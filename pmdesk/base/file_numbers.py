"""Numbers taken from a file, checked before they reach SQLite or numpy (both hold signed 64-bit integers):
a damaged dump's line 2**66 or count 10**400 is out of range, not an OverflowError."""

from __future__ import annotations

INT64_LIMIT = 1 << 63


def in_int64(v: int) -> bool:
    """Whether `v` fits a signed 64-bit integer."""
    return -INT64_LIMIT <= v < INT64_LIMIT


def i64(v: int | None) -> int | None:
    """A count or number (pid, line, offset) as SQLite can hold it; None when a damaged dump's is out of range."""
    return v if v is None or in_int64(v) else None
