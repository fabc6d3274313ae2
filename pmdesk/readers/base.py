"""What a format reader is: its spec (name, version, priority), the sink it writes raw facts into, and what
a reader of the crash kind offers besides (the crash model again with other symbol paths, the memory)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pmdesk.base.progress import Progress

SNIFF_BYTES = 4096  # a reader decides from at most this many leading bytes


if TYPE_CHECKING:
    import numpy as np

    from pmdesk.base.crash import Crash
    from pmdesk.native.symbol_files import SearchPaths


@dataclass(frozen=True)
class ReaderSpec:
    """Identity of a reader. `version` is part of the index cache key: bump it when output changes."""

    name: str
    version: int
    priority: int  # unique; a lower number is asked first when several readers could claim a file
    extensions: tuple[str, ...]  # hints for file dialogs, never used to decide the format
    description: str
    schema: str  # index/schema/<schema>.sql holds the tables this reader fills
    directories: bool = False  # reads a directory of parts as one dump (a JFR repository)
    kernels: bool = False  # its reading runs numba kernels (compiled on the first run: pmdesk says so)
    symbol_paths: bool = False  # its read() takes `paths` (native.symbol_files.SearchPaths): binaries it names
    compressed: tuple[str, ...] = ()  # the compressions it reads a whole file in, best first: 'zstd', 'xz', 'gzip'


class IndexSink(Protocol):
    """Where a reader writes what it found. Implemented by the index layer (index/store.py)."""

    def meta(self, key: str, value: Any) -> None: ...

    def rows(self, table: str, rows: Iterable[dict[str, Any]]) -> None: ...

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None: ...

    def array_chunk(self, name: str, values: np.ndarray) -> None: ...

    def diagnostic(self, offset: int | None, code: str, message: str, severity: str = "warning") -> None: ...


class Reader(Protocol):
    SPEC: ReaderSpec

    @staticmethod
    def sniff(head: bytes) -> bool: ...

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None: ...


class CrashMemory(Protocol):
    """A crash dump's process memory, read again after indexing (the Memory and Disassembly docks)."""

    def read(self, addr: int, n: int) -> bytes | None: ...

    def u64(self, addr: int) -> int | None: ...

    def executable(self, addr: int) -> bool: ...

    def close(self) -> None: ...


class CrashReader(Reader, Protocol):
    """A reader of the crash kind: it builds the crash model (base/crash.py) — at index time with the default
    symbol search, and again when the user gives other symbol paths — and may offer the dump's memory."""

    @staticmethod
    def crash(path: str, paths: SearchPaths, progress: Progress) -> Crash: ...

    @staticmethod
    def memory(path: str, paths: SearchPaths) -> CrashMemory | None: ...


def read_capped(path: str, max_bytes: int, what: str) -> bytes:
    """A whole report file's bytes; a one-line DumpFormatError when it cannot be read or is over `max_bytes`
    (too big to be `what`, 'a tombstone') — said before a byte of it is read, and again if it grew meanwhile."""
    from pmdesk.base.errors import DumpFormatError

    too_big = f"is over {max_bytes >> 20} MB: too big to be {what}"
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > max_bytes:
                raise DumpFormatError(path, too_big, 0)
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise DumpFormatError(path, f"cannot be read: {e.strerror}", 0) from None
    if len(data) > max_bytes:
        raise DumpFormatError(path, too_big, 0)
    return data
