"""The error types every layer raises; each renders as one line naming the file and what is wrong."""

from __future__ import annotations

import os


class PmdeskError(Exception):
    """Base of all errors pmdesk reports to a user as one line."""

    def __init__(self, path: str | os.PathLike[str] | None, what: str) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.what = what
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.path}: {self.what}" if self.path else self.what


class DumpFormatError(PmdeskError):
    """The bytes of a dump are not what its format requires at `offset`."""

    def __init__(self, path: str | os.PathLike[str] | None, what: str, offset: int | None = None) -> None:
        self.offset = offset
        super().__init__(path, what if offset is None else f"{what} (at byte {offset:,})")


class UnsupportedFormat(PmdeskError):
    """No registered reader recognises the file."""


class Cancelled(PmdeskError):
    """The user (or a caller) cancelled a long operation."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(path, "cancelled")
