"""Dumps named by URL (`s3://bucket/crashes/core.1.zst`, `gs://…`, `file://…`): a fleet's dumps often live in an
object store, not on a filesystem every worker mounts. Through fsspec (Dask's own dependency; a store's driver,
s3fs or gcsfs, installed beside it) a URL is listed (a prefix: the dumps under it) and fetched once into
`<index folder>/fetched/`, where its index is built and where the desktop opens it later; the row keeps the URL."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import tempfile
from pathlib import Path

from pmdesk.base.errors import PmdeskError
from pmdesk.index import store

FETCHED = "fetched"
CHUNK_BYTES = 4 << 20


def is_url(text: str) -> bool:
    """A URL with a scheme fsspec might serve (not a local path, not a Windows drive letter)."""
    scheme, sep, _rest = text.partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum()


def _fs(url: str):  # noqa: ANN202 - an fsspec filesystem and the path in it
    try:
        import fsspec
    except ImportError:
        raise PmdeskError(url, "dumps named by URL need fsspec: pip install 'pmdesk[cluster]'") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise PmdeskError(url, f"cannot read this kind of URL here ({e})") from None


def list_dumps(url: str, globs: tuple[str, ...]) -> list[str]:
    """The dumps under a URL prefix (every file whose name a dump format claims), or the URL itself."""
    fs, root = _fs(url)
    try:
        if not fs.isdir(root):
            return [url]
        found = fs.find(root)
    except OSError as e:
        raise PmdeskError(url, f"cannot list it: {e}") from None
    return [fs.unstrip_protocol(p) for p in sorted(found)
            if any(fnmatch.fnmatch(os.path.basename(p), g) for g in globs)]


def fetched(url: str, index_dir: str | os.PathLike[str] | None) -> str:
    """The local copy of `url` (fetched now if it is not there, written to a temp file renamed when complete)."""
    folder = Path(index_dir or store.default_index_dir()) / FETCHED
    name = f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{os.path.basename(url.rstrip('/')) or 'dump'}"
    local = folder / name
    fs, path = _fs(url)
    try:
        info = fs.info(path)
        size = int(info.get("size") or 0)
        if local.is_file() and local.stat().st_size == size:
            return str(local)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as out, fs.open(path, "rb") as src:
                while chunk := src.read(CHUNK_BYTES):
                    out.write(chunk)
            when = _mtime(info)
            if when is not None:   # the object's time is the dump's (the fetch's is not)
                os.utime(tmp, (when, when))
            os.replace(tmp, local)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as e:
        raise PmdeskError(url, f"cannot fetch it: {e}") from None
    return str(local)


def _mtime(info: dict) -> float | None:
    """When the object was written, as fsspec's drivers say it (mtime, LastModified, updated)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        v = info.get(key)
        if isinstance(v, (int, float)):
            return float(v)
        if hasattr(v, "timestamp"):
            return float(v.timestamp())
    return None
