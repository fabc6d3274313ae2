"""The protocol-buffer wire format, decoded by field number without generated code (Android's tombstone.proto
now; pprof's profile.proto next). Per protobuf.dev/programming-guides/encoding: a record is a varint key
(field number << 3 | wire type) and a value — a varint (type 0), 8 bytes (1), a length-delimited run (2) or
4 bytes (5); groups (3, 4) are obsolete and refused. Every length is checked against the end of its
enclosing message, a varint may have at most 10 bytes, and nesting is bounded: a damaged message is a
WireError, never a read past the end or a runaway recursion. Unknown fields are skipped by their own wire
type (never trusted for more than their bounded length)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

VARINT, I64, LEN, I32 = 0, 1, 2, 5
MAX_VARINT_BYTES = 10
MAX_DEPTH = 64  # nested messages deeper than this are refused


class WireError(ValueError):
    """The bytes are not a well-formed protocol-buffer message (the offset says where)."""

    def __init__(self, what: str, offset: int) -> None:
        super().__init__(what)
        self.offset = offset


def varint(buf: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    result = shift = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= end:
            raise WireError("a varint runs past the end of its message", pos)
        b = buf[pos + i]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & ((1 << 64) - 1), pos + i + 1
        shift += 7
    raise WireError(f"a varint longer than {MAX_VARINT_BYTES} bytes", pos)


@dataclass(frozen=True)
class Field:
    number: int
    wire: int
    value: int        # the varint or fixed value; for LEN, the payload's start
    end: int = 0      # for LEN, the payload's end
    buf: bytes | memoryview = b""

    @property
    def bytes(self) -> bytes:
        return bytes(self.buf[self.value:self.end])

    @property
    def text(self) -> str:
        """A string field (a C string's trailing NULs, which some writers keep, dropped)."""
        return self.bytes.decode("utf-8", "replace").rstrip("\0")

    @property
    def signed(self) -> int:
        """A varint as int32/int64 (two's complement)."""
        return self.value - (1 << 64) if self.value >= 1 << 63 else self.value

    def message(self, depth: int = 0) -> Iterator[Field]:
        """The fields of the message this LEN field holds."""
        if self.wire != LEN:
            raise WireError(f"field {self.number} is not a message", self.value)
        return fields(self.buf, self.value, self.end, depth + 1)

    def packed(self) -> list[int]:
        """A packed repeated varint field's values (or the one value of an unpacked record)."""
        if self.wire != LEN:
            return [self.value]
        out, pos = [], self.value
        while pos < self.end:
            v, pos = varint(self.buf, pos, self.end)
            out.append(v)
        return out


def fields(buf: bytes | memoryview, start: int = 0, end: int | None = None, depth: int = 0) -> Iterator[Field]:
    """The records of the message in buf[start:end], in order."""
    end = len(buf) if end is None else end
    if depth > MAX_DEPTH:
        raise WireError(f"messages nested more than {MAX_DEPTH} deep", start)
    pos = start
    while pos < end:
        key, pos = varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("a field numbered 0", pos)
        if wire == VARINT:
            v, pos = varint(buf, pos, end)
            yield Field(number, wire, v)
        elif wire == I64:
            if pos + 8 > end:
                raise WireError("a 64-bit field runs past the end of its message", pos)
            yield Field(number, wire, struct.unpack_from("<Q", buf, pos)[0])
            pos += 8
        elif wire == I32:
            if pos + 4 > end:
                raise WireError("a 32-bit field runs past the end of its message", pos)
            yield Field(number, wire, struct.unpack_from("<I", buf, pos)[0])
            pos += 4
        elif wire == LEN:
            n, pos = varint(buf, pos, end)
            if n > end - pos:
                raise WireError(f"a field of {n:,} bytes runs past the end of its message", pos)
            yield Field(number, wire, pos, pos + n, buf)
            pos += n
        else:
            raise WireError(f"wire type {wire} (field {number}) is not one a message can hold", pos)
