"""Sequential, read-only access to a dump's bytes in reusable chunks, plain or gzip-compressed."""

from __future__ import annotations

import gzip
import io
import os
import zlib

import numpy as np

from pmdesk.core.errors import DumpFormatError, PmdeskError

GZIP_MAGIC = b"\x1f\x8b"


class ChunkSource:
    """A sliding window `buf[0:n]` over the (decompressed) byte stream; `base` is buf[0]'s offset.

    The file is opened read-only and never mapped, so resident memory stays at one buffer however
    large the dump. Primitive array contents that the scan does not need are skipped with a seek
    (plain files) instead of being read.
    """

    def __init__(self, path: str, capacity: int = 16 << 20) -> None:
        self.path = path
        try:
            self._raw = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise PmdeskError(path, e.strerror or "cannot open") from None
        self.file_size = os.fstat(self._raw.fileno()).st_size
        self.compressed = self._raw.read(2) == GZIP_MAGIC
        self._raw.seek(0)
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.compressed else None
        self.buf = np.empty(capacity, dtype=np.uint8)
        self.base = 0
        self.n = 0
        self.eof = False

    @property
    def stream(self) -> io.RawIOBase | gzip.GzipFile:
        return self._gz if self._gz is not None else self._raw

    def consumed_fraction(self) -> float:
        """How far through the file on disk we are (compressed position for gzip)."""
        if self.file_size == 0:
            return 1.0
        pos = self._raw.tell() if self._gz is not None else self.base + self.n
        return min(pos / self.file_size, 1.0)

    def _read_into(self, view: memoryview) -> int:
        try:
            got = self.stream.readinto(view)
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            # a cut gzip stream: keep what was decompressed, report the end as truncation
            self.eof = True
            self.gzip_error = str(e) or "compressed stream ends early"
            return 0
        except OSError as e:
            raise PmdeskError(self.path, f"read failed: {e.strerror or e}") from None
        return got or 0

    def refill(self, keep_from: int) -> None:
        """Drop buf[:keep_from], keep the rest at the front, and read until the buffer is full or EOF."""
        rest = self.n - keep_from
        if rest > 0 and keep_from > 0:
            self.buf[:rest] = self.buf[keep_from:self.n]
        self.base += keep_from
        self.n = max(rest, 0)
        view = memoryview(self.buf)
        while self.n < len(self.buf) and not self.eof:
            got = self._read_into(view[self.n:])
            if got == 0:
                self.eof = True
                break
            self.n += got

    def skip_to(self, offset: int) -> None:
        """Continue at absolute stream offset `offset` (beyond the current window)."""
        if self._gz is None:
            if offset > self.file_size:
                self.base = self.file_size
                self.n = 0
                self.eof = True
                return
            self._raw.seek(offset)
        else:
            todo = offset - (self.base + self.n)
            view = memoryview(self.buf)
            while todo > 0 and not self.eof:
                got = self._read_into(view[: min(todo, len(self.buf))])
                if got == 0:
                    self.eof = True
                    break
                todo -= got
            if todo > 0:
                offset -= todo
        self.base = offset
        self.n = 0
        self.refill(0)

    def grow(self, capacity: int) -> None:
        limit = max(self.file_size * (20 if self.compressed else 1), 1 << 20)
        if capacity > limit + (1 << 20):
            raise DumpFormatError(self.path, f"a record claims {capacity:,} bytes, more than the file holds",
                                  self.base)
        new = np.empty(capacity, dtype=np.uint8)
        new[: self.n] = self.buf[: self.n]
        self.buf = new

    def close(self) -> None:
        if self._gz is not None:
            self._gz.close()
        self._raw.close()

    def __enter__(self) -> ChunkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
