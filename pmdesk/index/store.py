"""Locating, validating and atomically building the one SQLite index each dump gets.

The index file is named after the dump's *content* (size + hash of its first and last MiB), the
reader and its version, and the schema version: a renamed or copied dump finds its index, a newer
reader or schema builds a new one. The dump's mtime is recorded; when it differs, a sparse content
sample decides whether the dump really changed. Builds go to a temp file renamed when complete, so a
killed build never leaves a half-written index.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from pmdesk.base import dump_files
from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.index.derive import DERIVE
from pmdesk.readers import Reader

SCHEMA_VERSION = 5
MIB = 1 << 20
SAMPLES = 64  # sparse content sample used when the mtime changed


def default_index_dir() -> Path:
    return Path(platformdirs.user_cache_dir("pmdesk", appauthor=False)) / "index"


@dataclass(frozen=True)
class DumpKey:
    size: int
    mtime_ns: int
    content: str  # hex digest of size + first MiB + last MiB


def dump_key(path: str) -> DumpKey:
    """Size, newest mtime and content hash (size + first and last MiB) of a dump — a file, or a JFR
    repository's chunk files laid end to end (their names hashed too)."""
    files = dump_files.parts(path)
    lengths = dump_files.sizes(files)
    size = sum(lengths)
    h = hashlib.sha256(str(size).encode())
    if len(files) > 1 or files[0] != path:
        h.update("\n".join(os.path.basename(f) for f in files).encode())
    h.update(dump_files.read_at(files, lengths, 0, MIB))
    if size > MIB:
        start = max(size - MIB, MIB)
        h.update(dump_files.read_at(files, lengths, start, size - start))
    return DumpKey(size, max(os.stat(f).st_mtime_ns for f in files), h.hexdigest()[:32])


def content_sample(path: str, size: int) -> str:
    """Hash of SAMPLES 4 KiB pieces spread through the dump (detects in-place edits of the middle)."""
    files = dump_files.parts(path)
    lengths = dump_files.sizes(files)
    h = hashlib.sha256()
    for i in range(SAMPLES):
        h.update(dump_files.read_at(files, lengths, size * i // SAMPLES, 4096))
    return h.hexdigest()[:32]


def index_path(path: str, reader: Reader, index_dir: str | os.PathLike[str] | None = None,
               key: DumpKey | None = None) -> Path:
    key = key or dump_key(path)
    base = Path(index_dir) if index_dir else default_index_dir()
    return base / f"{key.content}.{reader.SPEC.name}-r{reader.SPEC.version}-s{SCHEMA_VERSION}.sqlite"


def _schema_sql(name: str) -> str:
    """index/schema/<name>.sql, after the schemas its leading `-- include: other` lines name."""
    text = resources.files("pmdesk.index").joinpath("schema", f"{name}.sql").read_text()
    included = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("-- include:")]
    return "".join(_schema_sql(other) + "\n" for other in included) + text


class IndexWriter:
    """The IndexSink readers write into: meta, rows, diagnostics and chunked numpy arrays."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._seq: dict[str, int] = {}
        self.diagnostics = 0

    def meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def rows(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        """Insert rows (dicts with the same keys) into a table of the schema."""
        it = iter(rows)
        first = next(it, None)
        if first is not None:
            cols = list(first)
            self.insert(table, cols, itertools.chain([tuple(first.values())], (tuple(r[c] for c in cols) for r in it)))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows given as tuples in `columns` order (the fast path for bulk rows)."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, rows)

    def array_chunk(self, name: str, values: np.ndarray) -> None:
        seq = self._seq.get(name, 0)
        self._seq[name] = seq + 1
        values = np.ascontiguousarray(values)
        self.conn.execute("INSERT INTO array_chunk (name, seq, dtype, count, data) VALUES (?, ?, ?, ?, ?)",
                          (name, seq, values.dtype.str, len(values), values.tobytes()))

    def diagnostic(self, offset: int | None, code: str, message: str, severity: str = "warning") -> None:
        self.diagnostics += 1
        self.conn.execute("INSERT INTO diagnostic (offset, code, severity, message) VALUES (?, ?, ?, ?)",
                          (offset, code, severity, message))


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def load_array(conn: sqlite3.Connection, name: str) -> np.ndarray:
    """The whole array `name`, its chunks copied once into one preallocated array."""
    chunks = conn.execute("SELECT rowid, dtype, count FROM array_chunk WHERE name = ? ORDER BY seq", (name,)).fetchall()
    if not chunks:
        return np.empty(0)
    dtype = np.dtype(chunks[0][1])
    out = np.empty(sum(c for _r, _d, c in chunks), dtype)
    at = 0
    for rowid, dt, count in chunks:
        (data,) = conn.execute("SELECT data FROM array_chunk WHERE rowid = ?", (rowid,)).fetchone()
        out[at:at + count] = np.frombuffer(data, dtype=np.dtype(dt), count=count)
        at += count
    return out


class StoredArray:
    """Single elements of a stored array, read in place (SQLite incremental BLOB I/O) without loading it:
    what a query about a few objects of a 100-million-object dump needs."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self.conn = conn
        rows = conn.execute("SELECT rowid, dtype, count FROM array_chunk WHERE name = ? ORDER BY seq",
                            (name,)).fetchall()
        self.rowids = [r[0] for r in rows]
        self.dtype = np.dtype(rows[0][1]) if rows else np.dtype(np.int64)
        self.starts = np.cumsum([0] + [r[2] for r in rows])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def take(self, index: np.ndarray | list[int]) -> np.ndarray:
        idx = np.asarray(index, np.int64)
        out = np.empty(len(idx), self.dtype)
        size = self.dtype.itemsize
        chunk = np.searchsorted(self.starts, idx, side="right") - 1
        for k, (i, c) in enumerate(zip(idx.tolist(), chunk.tolist(), strict=True)):
            if not 0 <= i < len(self):
                raise IndexError(i)
            with self.conn.blobopen("array_chunk", "data", self.rowids[c], readonly=True) as blob:
                blob.seek((i - int(self.starts[c])) * size)
                out[k] = np.frombuffer(blob.read(size), self.dtype)[0]
        return out


def connect_readonly(index: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True, check_same_thread=False)
    return conn


def is_current(index: Path, path: str, key: DumpKey) -> bool:
    """True when `index` exists, is complete and was built from this dump's content."""
    if not index.exists():
        return False
    try:
        with contextlib.closing(connect_readonly(index)) as conn:
            meta = read_meta(conn)
    except sqlite3.Error:
        return False
    if not meta.get("index.complete") or meta.get("dump.size") != key.size:
        return False
    if meta.get("dump.mtime_ns") == key.mtime_ns:
        return True
    return meta.get("dump.sample") == content_sample(path, key.size)


JOURNALS = ("-journal", "-wal", "-shm")  # what SQLite keeps beside a database while (or after) writing it


@contextlib.contextmanager
def index_lock(index: Path, progress: Progress | None = None) -> Iterator[bool]:
    """Hold the lock of an index while building it or writing a derived pass into it: another pmdesk process
    (a second window, a CLI command) that wants to write the same index waits here — its progress says so and
    can be cancelled — then finds the winner's work done. Yields whether it had to wait. Where the folder is
    read-only nothing can be written, so nothing is locked."""
    try:
        fd = os.open(_lock_file(index), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield False
        return
    waited = False
    try:
        while not _try_lock(fd):
            waited = True
            if progress is not None:
                progress.update(0.0, "waiting for another pmdesk that is indexing this dump")
            time.sleep(0.2)
        yield waited
    finally:
        _unlock(fd)
        os.close(fd)


def _lock_file(index: Path) -> Path:
    """The lock of an index: a file per index in the user's temp folder (the index folder stays as readers
    left it; lock files cannot be deleted safely once others may wait on them)."""
    where = Path(tempfile.gettempdir()) / f"pmdesk-locks-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    where.mkdir(mode=0o700, exist_ok=True)
    return where / (hashlib.sha256(str(index.resolve()).encode()).hexdigest()[:32] + ".lock")


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def recover(index: Path) -> None:
    """Roll back what a pmdesk killed while writing left half-done (a hot rollback journal beside the index):
    read-only connections cannot, and would fail on it. Call with the index's lock held."""
    if not Path(f"{index}{JOURNALS[0]}").exists() or not index.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(index, timeout=60)) as conn:
            conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # reading a hot journal's database rolls it back
    except sqlite3.Error:
        # unrecoverable here (a read-only folder, a damaged journal): rebuilding replaces it
        with contextlib.suppress(OSError):
            index.unlink()


def writable(index: Path) -> bool:
    """Whether a derived pass can write into this index where it is."""
    return os.access(index, os.W_OK) and os.access(index.parent, os.W_OK)


def no_space(e: BaseException) -> bool:
    """Whether an error is the disk (or the folder's quota) being full."""
    return (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        isinstance(e, sqlite3.OperationalError) and "full" in str(e))


def _remove_stale(directory: Path, key: DumpKey, keep: Path) -> None:
    for p in directory.glob(f"{key.content}.*"):
        if p != keep and (p.suffix == ".sqlite" or ".tmp-" in p.name):
            pid = p.name.rsplit(".tmp-", 1)[-1].split("-")[0] if ".tmp-" in p.name else ""
            if pid.isdigit() and _alive(int(pid)):
                continue  # another process is building it right now
            with contextlib.suppress(OSError):
                p.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


BIG_DUMP_BYTES = 64 << 20


def page_size_for(dump_bytes: int) -> int:
    """The index's page size: 64 KiB for a big dump (its bulk arrays are BLOBs: big pages read and write
    faster), 4 KiB for a small one — every table and index takes a page at least, so 64 KiB pages made a
    20 KB thread dump's index 2 MB, and a folder's indexes as big as its dumps."""
    return 65536 if dump_bytes >= BIG_DUMP_BYTES else 4096


def build_index(path: str, reader: Reader, index: Path, key: DumpKey, progress: Progress) -> None:
    """Run `reader` over `path` into a temp file beside `index`, then rename it into place."""
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(index.parent, key, index)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{index.name}.tmp-{os.getpid()}-", dir=index.parent)
    except OSError as e:
        raise PmdeskError(index.parent, f"cannot write the index here: {e.strerror or e}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp, check_same_thread=False)
        try:
            # a temp file renamed only when complete: no journal or fsync needed while building
            conn.execute(f"PRAGMA page_size={page_size_for(key.size)}")
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_schema_sql("common"))
            conn.executescript(_schema_sql(reader.SPEC.schema))
            sink = IndexWriter(conn)
            t0 = time.perf_counter()
            started = time.time()
            reader.read(path, sink, progress)
            for derive in DERIVE.get(reader.SPEC.schema, ()):
                derive(conn)
            progress.update(1.0, "writing index")  # last cancellation point before the rename
            for k, v in {
                "index.format": reader.SPEC.name, "index.reader": reader.SPEC.name,
                "index.reader_version": reader.SPEC.version, "index.schema_version": SCHEMA_VERSION,
                "index.built_at": started, "index.seconds": round(time.perf_counter() - t0, 3),
                "dump.path": os.path.abspath(path), "dump.size": key.size, "dump.mtime_ns": key.mtime_ns,
                "dump.content_key": key.content, "dump.sample": content_sample(path, key.size),
                "index.complete": True,
            }.items():
                sink.meta(k, v)
            conn.commit()
        finally:
            conn.close()
        for suffix in JOURNALS:  # a journal left by a killed pass over the old index must not touch the new one
            Path(f"{index}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, index)
    except Cancelled:
        tmp.unlink(missing_ok=True)
        raise
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        if not os.path.exists(path):
            raise PmdeskError(path, "the file was removed while it was being indexed") from None
        raise
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if no_space(e):
            raise PmdeskError(index.parent, f"no space left for the index of {os.path.basename(path)} (the dump is "
                              f"{key.size / MIB:,.0f} MiB; its index needs up to about as much): free some, or "
                              "give another folder with --index-dir") from None
        raise
