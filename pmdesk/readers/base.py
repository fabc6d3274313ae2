"""What a format reader is: its spec (name, version, priority) and the sink it writes raw facts into."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pmdesk.base.progress import Progress

SNIFF_BYTES = 4096  # a reader decides from at most this many leading bytes


if TYPE_CHECKING:
    import numpy as np


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
