"""Compressed cores — what systemd-coredump keeps in /var/lib/systemd/coredump (`core.*.zst`, older setups
`.xz`), or a core gzipped to be sent along: recognised by their first bytes, and inflated once into the
user's cache (a core is read at random offsets) where later opens find it; copies unused for two weeks are
deleted. The dump itself is never written to."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import lzma
import os
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
XZ_MAGIC = b"\xfd7zXZ\x00"
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
KEEP_DAYS = 14  # inflated copies not used for this long are deleted when another core is inflated
CACHE_BYTES = 32 << 30  # and beyond this, the least recently used go first
KEEP_FREE = 1 << 30  # never fill the cache's disk to less than this


class CompressedCoreError(ValueError):
    pass


def kind_of(head: bytes) -> str | None:
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(XZ_MAGIC):
        return "xz"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return None


def _reader(kind: str, f: BinaryIO) -> Any:
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
    if kind == "xz":
        return lzma.LZMAFile(f)
    return gzip.GzipFile(fileobj=f)


def _errors(kind: str) -> tuple[type[BaseException], ...]:
    """What the decompressor raises for cut or damaged data."""
    if kind == "zstd":
        import zstandard

        return (zstandard.ZstdError, OSError, EOFError)
    return (lzma.LZMAError, zlib.error, OSError, EOFError)


def peek(head: bytes, n: int = 64) -> bytes:
    """The first n inflated bytes of compressed data that starts with `head` (fewer if head runs out)."""
    import io

    kind = kind_of(head)
    if kind is None:
        return b""
    try:
        with _reader(kind, io.BytesIO(head)) as r:
            return r.read(n)
    except (*_errors(kind), ImportError):
        return b""


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("pmdesk", appauthor=False)) / "cores"


def inflated(path: str, progress: Callable[[float, str], None] | None = None) -> str:
    """The path of the core itself: `path` when it is not compressed, else its inflated copy in the cache
    (made now if missing; a copy of a cut-short file holds what could be inflated)."""
    with open(path, "rb") as f:
        kind = kind_of(f.read(8))
    if kind is None:
        return path
    st = os.stat(path)
    out = cache_dir() / f"{Path(path).name}.{_content_key(path, st.st_size)}.core"
    if out.is_file():
        os.utime(out)  # last used now: kept by the pruning below
        return str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _prune(out.parent)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    problem = None
    written, limit = 0, None
    try:
        with open(path, "rb") as src, _reader(kind, src) as r, open(tmp, "wb") as dst:
            while True:
                try:
                    chunk = r.read(CHUNK)
                except _errors(kind) as e:  # cut short or damaged: keep what came out
                    problem = e
                    break
                if not chunk:
                    break
                if limit is None:  # what the core itself says it holds bounds what is inflated
                    limit = _declared_size(chunk)
                    room = shutil.disk_usage(out.parent).free - KEEP_FREE
                    if limit is not None and limit > room:
                        raise CompressedCoreError(f"inflated, the core would take {limit / 2**20:,.0f} MiB in "
                                                  f"{out.parent}, which has {max(room, 0) / 2**20:,.0f} MiB to spare")
                if limit is not None and written + len(chunk) > limit:
                    chunk = chunk[:max(limit - written, 0)]
                    dst.write(chunk)
                    break  # data past the core's last segment is not part of it (a decompression bomb)
                dst.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(min(src.tell() / max(st.st_size, 1), 1.0), f"inflating the {kind} core")
        if problem is not None and os.path.getsize(tmp) == 0:
            raise CompressedCoreError(f"{kind} data that does not inflate ({problem})")
        os.replace(tmp, out)
    except OSError as e:  # the cache's disk filled up (or is read-only) while inflating
        raise CompressedCoreError(f"cannot inflate it into {out.parent}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return str(out)


def _content_key(path: str, size: int) -> str:
    """The compressed file's content (size, first and last MiB): a file replaced by another with the same
    size and time is not taken for it."""
    h = hashlib.sha1(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(CHUNK))
        if size > 2 * CHUNK:
            f.seek(size - CHUNK)
            h.update(f.read(CHUNK))
    return h.hexdigest()[:20]


def _declared_size(first: bytes) -> int | None:
    """The size an ELF core's headers say it has (the end of its last segment, or of the section header table
    gdb's cores end with), from its first bytes."""
    if len(first) < 64 or not first.startswith(b"\x7fELF") or first[4] != 2:
        return None
    order = "<" if first[5] == 1 else ">"
    phoff, = struct.unpack_from(order + "Q", first, 32)
    phentsize, phnum = struct.unpack_from(order + "HH", first, 54)
    if phentsize < 56 or phoff + phentsize * phnum > len(first):
        return None
    end = phoff + phentsize * phnum
    for i in range(phnum):
        _t, _f, offset, _v, _p, filesz = struct.unpack_from(order + "IIQQQQ", first, phoff + i * phentsize)
        end = max(end, offset + filesz)
    shoff, = struct.unpack_from(order + "Q", first, 40)
    shentsize, shnum = struct.unpack_from(order + "HH", first, 58)
    if shoff and end <= shoff <= end + CHUNK:   # right after the segments, where gdb writes it (a wild one is
        return max(end, shoff + shentsize * shnum)  # no reason to inflate more)
    return end


def _prune(directory: Path) -> None:
    """Delete inflated cores not used for KEEP_DAYS, then the least recently used beyond CACHE_BYTES (they can
    be gigabytes each)."""
    import time

    cutoff = time.time() - KEEP_DAYS * 86400
    kept = []
    for old in directory.glob("*.core"):
        try:
            st = old.stat()
            if st.st_mtime < cutoff:
                old.unlink()
            else:
                kept.append((st.st_mtime, st.st_size, old))
        except OSError:
            pass
    total = sum(size for _t, size, _p in kept)
    for _t, size, old in sorted(kept):
        if total <= CACHE_BYTES:
            break
        with contextlib.suppress(OSError):
            old.unlink()
            total -= size
