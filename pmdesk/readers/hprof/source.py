"""Sequential, read-only access to a dump's bytes in reusable chunks, plain or gzip-compressed."""

from __future__ import annotations

import io
import os
import zlib

import numpy as np

from pmdesk.base.errors import DumpFormatError, PmdeskError
from pmdesk.readers.hprof.records import GZIP_MAGIC


class GunzipStream:
    """Multi-member gzip decompression that keeps every byte decoded before a cut or corruption.

    (gzip.GzipFile discards a whole read when the stream ends early; a dump cut by a full disk
    should still yield everything up to the cut.) Compressed input is taken 64 KiB at a time and
    decompressed completely; `readinto` serves from the decompressed surplus.
    """

    RAW_CHUNK = 1 << 16

    def __init__(self, raw: io.RawIOBase) -> None:
        self.raw = raw
        self.d = zlib.decompressobj(31)
        self.pending = memoryview(b"")
        self.problem: str | None = None
        self.done = False
        self._in_member = False  # some input of the current member has been fed

    def _decompress_more(self) -> None:
        data = self.raw.read(self.RAW_CHUNK) or b""
        if not data:
            if self._in_member:
                self.problem = "the compressed stream ends early"
            self.done = True
            return
        out = []
        try:
            while data:
                self._in_member = True
                out.append(self.d.decompress(data))
                data = b""
                if self.d.eof:  # end of one gzip member: what follows may be another member
                    data = self.d.unused_data
                    self.d = zlib.decompressobj(31)
                    self._in_member = False
                    if len(data) >= 2 and not data.startswith(GZIP_MAGIC):
                        self.problem = "data after the end of the compressed stream"
                        self.done = True
                        data = b""
        except zlib.error as e:
            self.problem = f"corrupt compressed data ({e})"
            self.done = True
        self.pending = memoryview(b"".join(out))

    def readinto(self, view: memoryview) -> int:
        n = 0
        while n < len(view):
            if not self.pending:
                if self.done:
                    break
                self._decompress_more()
                continue
            take = min(len(self.pending), len(view) - n)
            view[n:n + take] = self.pending[:take]
            self.pending = self.pending[take:]
            n += take
        return n


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
        self._gz = GunzipStream(self._raw) if self.compressed else None
        self.buf = np.empty(capacity, dtype=np.uint8)
        self.base = 0
        self.n = 0
        self.eof = False

    @property
    def stream(self) -> io.RawIOBase | GunzipStream:
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

    @property
    def problem(self) -> str | None:
        """Why a compressed stream stopped early (None for plain files and complete streams)."""
        return self._gz.problem if self._gz is not None else None

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> ChunkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
