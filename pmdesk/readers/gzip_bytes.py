"""Formats that may come gzip-compressed as a whole (Android tombstones, pprof profiles, JFR recordings): the
head a sniff looks at, inflated, and the whole file inflated with a bound — so a hostile file cannot inflate
without end (the bound every decompressor here keeps: MAX_INFLATE_RATIO)."""

from __future__ import annotations

import zlib

from pmdesk.base.errors import DumpFormatError

GZIP_MAGIC = b"\x1f\x8b"
MAX_INFLATE_RATIO = 200  # a file inflating more than this is refused as hostile (real ones: 3-20x)


def inflate_limit_bytes(compressed_bytes: int) -> int:
    """The most a compressed dump of `compressed_bytes` may inflate to: MAX_INFLATE_RATIO times, at least 64 MiB."""
    return max(compressed_bytes * MAX_INFLATE_RATIO, 64 << 20)


def inflated_head(head: bytes, n: int = 4096) -> bytes | None:
    """The first `n` inflated bytes of a gzip-compressed head (the head itself when it is not gzip); None when
    the gzip data is damaged."""
    if not head.startswith(GZIP_MAGIC):
        return head
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, n)
    except zlib.error:
        return None


def inflate(path: str, data: bytes, limit: int | None = None, too_big: str | None = None) -> bytes:
    """`data` inflated when gzip-compressed (else as it is); more than `limit` bytes (default
    inflate_limit_bytes) is refused with `too_big` (the words after 'inflates past N MiB: ')."""
    if not data.startswith(GZIP_MAGIC):
        return data
    if limit is None:
        limit = inflate_limit_bytes(len(data))
        too_big = too_big or f"over {MAX_INFLATE_RATIO}x its size, refused"
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = z.decompress(data, limit + 1)
    except zlib.error as e:
        raise DumpFormatError(path, f"is gzip-compressed but damaged ({e})", 0) from None
    if len(out) > limit:
        raise DumpFormatError(path, f"inflates past {limit >> 20:,} MiB: {too_big}", 0)
    if not z.eof:
        raise DumpFormatError(path, "is gzip-compressed but cut short", len(data))
    return out
