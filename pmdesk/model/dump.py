"""An open dump: its reader, its index (built or reused) and the summary facts every view shows."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.index import store
from pmdesk.model.formats import Format, Kind, format_of, sniff
from pmdesk.readers import Reader


@dataclass(frozen=True)
class Diagnostic:
    offset: int | None
    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class IndexState:
    reader: Reader
    index_path: Path
    key: store.DumpKey
    state: str  # 'ready' | 'missing' (never built, or built from other content / an older reader)


def index_state(path: str, index_dir: str | os.PathLike[str] | None = None,
                fmt: Format | None = None) -> IndexState:
    """Which reader reads `path` (`fmt` when the caller sniffed it already), where its index lives, and
    whether that index is current."""
    reader = (fmt or sniff(path)).reader
    try:
        key = store.dump_key(path)
    except OSError as e:
        raise PmdeskError(path, e.strerror or str(e)) from None
    index = store.index_path(path, reader, index_dir, key)
    return IndexState(reader, index, key, "ready" if store.is_current(index, path, key) else "missing")


def with_program(path: str, fmt: Format, exe: str | None, index_dir: str | os.PathLike[str] | None
                 ) -> tuple[Format, str | os.PathLike[str] | None]:
    """The format and index folder to open a dump with when `exe` names the program that wrote it (a Go
    heap dump's objects are typed by its DWARF): the reader given the program, its index kept apart (in
    exe-<program's hash> under the index folder) so the dump's plain index stays as it is and each
    program's is built once. A one-line error for a program that is not there or a format it cannot serve."""
    if exe is None:
        return fmt, index_dir
    import dataclasses
    import functools

    from pmdesk.native.symbol_files import SearchPaths

    if not os.path.isfile(exe):
        raise PmdeskError(exe, "does not exist (--exe names the program that wrote the dump)")
    if not (fmt.has(Kind.HEAP_GRAPH) and fmt.reader.SPEC.symbol_paths):
        raise PmdeskError(path, f"is {fmt.what}: --exe types the objects of Go heap dumps only")
    paths = SearchPaths(exe=os.path.abspath(exe))
    reader = type("WithProgram", (), {"SPEC": fmt.reader.SPEC, "sniff": staticmethod(fmt.reader.sniff),
                                      "read": staticmethod(functools.partial(fmt.reader.read, paths=paths))})
    base = index_dir or store.default_index_dir()
    return dataclasses.replace(fmt, reader=reader), os.path.join(base, f"exe-{store.dump_key(exe).content}")


class Dump:
    """A dump with a ready index. Open with `Dump.open`; close when done."""

    def __init__(self, path: str, reader: Reader, index_path: Path, built: bool) -> None:
        self.path = path
        self.reader = reader
        self.index_path = index_path
        self.built = built  # True when this open built the index, False when it was reused
        self.conn: sqlite3.Connection = store.connect_readonly(index_path)
        self.meta: dict[str, Any] = store.read_meta(self.conn)
        self.cache: dict[str, Any] = {}  # model objects built from the index (e.g. the loaded heap graph)
        self.waited = False  # another pmdesk was writing this index when it was opened: its work was used
        self.warnings_extra: list[str] = []  # what opening or a derived pass had to do that the user must know

    @classmethod
    def open(cls, path: str, index_dir: str | os.PathLike[str] | None = None, progress: Progress | None = None,
             force: bool = False, fmt: Format | None = None) -> Dump:
        """Open `path` (of format `fmt`, when the caller sniffed it already), building its index first if there
        is no current one (or if `force`)."""
        path = os.fspath(path)
        progress = progress or Progress(path=path)
        progress.path = path
        st = index_state(path, index_dir, fmt)
        built, waited = force or st.state != "ready", False
        if built:
            with store.index_lock(st.index_path, progress) as waited:
                store.recover(st.index_path)  # a pass killed mid-write: roll it back first
                if force and not waited or not store.is_current(st.index_path, path, st.key):
                    store.build_index(path, st.reader, st.index_path, st.key, progress)
                else:
                    built = False  # another pmdesk built it meanwhile (or the rollback restored it)
        dump = cls(path, st.reader, st.index_path, built)
        dump.waited = waited
        return dump

    @property
    def format(self) -> str:
        """The reader's name (what meta keys of this format start with); decide behaviour by `kinds`."""
        return self.reader.SPEC.name

    @property
    def spec(self) -> Format:
        """The dump's entry in the format registry."""
        return format_of(self.reader)

    def has(self, kind: Kind) -> bool:
        """Whether the dump holds this kind of data (the docks and commands that apply follow from it)."""
        return self.spec.has(kind)

    @property
    def content_key(self) -> str:
        """What identifies the dump's content wherever it lies (the index is named after it)."""
        return str(self.meta.get("dump.content_key", ""))

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(*r) for r in self.conn.execute(
            "SELECT offset, code, severity, message FROM diagnostic ORDER BY id")]

    def warnings(self, most: int = 5) -> list[str]:
        """One line per problem a user must see (severity warning or error), naming the file; at most `most`."""
        found = [d for d in self.diagnostics() if d.severity in ("warning", "error")]
        lines = list(self.warnings_extra) + [f"{self.path}: {d.message}" for d in found[:most]]
        if len(found) > most:
            lines.append(f"{self.path}: … and {len(found) - most:,} more problems (see Diagnostics)")
        return lines

    def move_index(self, index_path: Path) -> None:
        """Use the index at `index_path` from now on (a copy where a derived pass could be written)."""
        self.conn.close()
        self.index_path = index_path
        self.conn = store.connect_readonly(index_path)
        self.reload_meta()

    def reload_meta(self) -> None:
        """Re-read meta after a derived pass added to the index (and drop what was built from the old one)."""
        self.meta = store.read_meta(self.conn)
        self.cache.clear()

    def has_rows(self, table: str) -> bool:
        with contextlib.suppress(sqlite3.Error):
            return self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
        return False

    def close(self) -> None:
        self.conn.close()
        self.closed = True

    closed = False  # set by close(): a dock's load queued before that must not read it

    def __enter__(self) -> Dump:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
