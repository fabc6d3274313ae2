"""A real pprof profile given drop_frames and keep_frames (no Go profiler writes them): two strings appended to
its string table (field 6), then the two fields (7 and 8) naming them — a protobuf message's fields may be
appended. Usage (make.sh runs it): add_drop_frames.py IN.pb.gz OUT.pb.gz DROP_RE KEEP_RE"""

from __future__ import annotations

import gzip
import sys


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def string_count(raw: bytes) -> int:
    """How many string_table entries the profile has (top-level fields 6)."""
    count = pos = 0
    while pos < len(raw):
        key, pos = read_varint(raw, pos)
        if key & 7 == 0:
            _v, pos = read_varint(raw, pos)
        elif key & 7 == 2:
            n, pos = read_varint(raw, pos)
            pos += n
        else:
            raise SystemExit("a wire type Go's profiles do not use")
        count += key >> 3 == 6
    return count


def main() -> None:
    src, dst, drop, keep = sys.argv[1:5]
    raw = gzip.decompress(open(src, "rb").read())
    n = string_count(raw)
    extra = b"".join(b"\x32" + varint(len(t.encode())) + t.encode() for t in (drop, keep))
    extra += b"\x38" + varint(n) + b"\x40" + varint(n + 1)
    with open(dst, "wb") as f:
        f.write(gzip.compress(raw + extra, mtime=0))


if __name__ == "__main__":
    main()
