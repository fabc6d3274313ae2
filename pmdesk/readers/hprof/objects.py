"""Reads single heap objects back from a dump: an instance's field values, an array's elements, a
String's text. What the object inspector, leak report and duplicate-strings pass show.

Records are read at the offsets the index stored; a gzip dump is decompressed up to them (sequential
reads, in offset order, so asking for many objects at once costs one pass).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.readers.hprof import records as R
from pmdesk.readers.hprof.source import ChunkSource

_FMT = {R.T_BOOLEAN: "?", R.T_CHAR: "H", R.T_FLOAT: "f", R.T_DOUBLE: "d", R.T_BYTE: "b", R.T_SHORT: "h",
        R.T_INT: "i", R.T_LONG: "q"}
_NUMPY = {R.T_BOOLEAN: ">u1", R.T_CHAR: ">u2", R.T_FLOAT: ">f4", R.T_DOUBLE: ">f8", R.T_BYTE: ">i1",
          R.T_SHORT: ">i2", R.T_INT: ">i4", R.T_LONG: ">i8"}


@dataclass(frozen=True)
class Record:
    """One INSTANCE_DUMP, OBJ_ARRAY_DUMP or PRIM_ARRAY_DUMP sub-record, undecoded."""

    offset: int
    tag: int
    data: bytes  # the whole sub-record, tag byte included


def record_length(head: bytes, id_size: int) -> int:
    """Length of the sub-record whose first bytes are `head` (at least 1 + 2 ids + 9 bytes)."""
    tag = head[0]
    if tag == R.INSTANCE_DUMP:
        hdr = 1 + id_size + 4 + id_size + 4
        return hdr + struct.unpack_from(">I", head, hdr - 4)[0]
    if tag == R.OBJ_ARRAY_DUMP:
        hdr = 1 + id_size + 4 + 4 + id_size
        return hdr + struct.unpack_from(">I", head, 1 + id_size + 4)[0] * id_size
    if tag == R.PRIM_ARRAY_DUMP:
        hdr = 1 + id_size + 4 + 4 + 1
        n, t = struct.unpack_from(">IB", head, 1 + id_size + 4)
        return hdr + n * R.PRIMITIVE_SIZE.get(t, 0)
    if tag == R.PRIM_ARRAY_NODATA_DUMP:
        return 1 + id_size + 4 + 4 + 1
    raise ValueError(f"0x{tag:02X} is not an object record")


def read_records(path: str, offsets: Iterable[int], id_size: int, limit_bytes: int = 64 << 20) -> Iterator[Record]:
    """The records at `offsets` (any order; yielded in offset order). Array records longer than
    `limit_bytes` are cut there (their `data` is shorter than the record)."""
    head_len = 1 + 2 * id_size + 9
    with ChunkSource(path, 1 << 20) as src:
        for off in sorted({int(o) for o in offsets}):
            if off >= src.base + src.n:
                src.skip_to(off)
            p = off - src.base
            if src.n - p < head_len:
                src.refill(p)
                p = 0
            head = bytes(src.buf[p:p + head_len])
            if src.base + p != off or len(head) < head_len:
                raise DumpFormatError(path, "the dump ends before an object the index lists", off)
            try:
                size = min(record_length(head, id_size), limit_bytes)
            except ValueError:
                raise DumpFormatError(path, "the dump no longer holds the object the index lists here", off) from None
            if src.n - p < size:
                src.refill(p)
                p = 0
                if size > len(src.buf):
                    src.grow(size)
                    src.refill(0)
            yield Record(off, head[0], bytes(src.buf[p:p + size]))


def instance_values(rec: Record, id_size: int, fields: list[tuple[str, int]]) -> list[tuple[str, int, Any]]:
    """(name, type, value) of an instance's fields; `fields` in dump order (own class first, then supers)."""
    hdr = 1 + id_size + 4 + id_size + 4
    data = rec.data
    end = len(data)
    p = hdr
    out = []
    for name, t in fields:
        if t == R.T_OBJECT:
            size = id_size
            v = int.from_bytes(data[p:p + size], "big") if p + size <= end else None
        else:
            size = R.PRIMITIVE_SIZE.get(t, 0)
            v = struct.unpack_from(">" + _FMT[t], data, p)[0] if p + size <= end else None
        out.append((name, t, v))
        p += size
    return out


def array_values(rec: Record, id_size: int) -> tuple[int, int, np.ndarray]:
    """(element type, length, elements) of an array record; elements may be fewer than length when cut."""
    data = rec.data
    if rec.tag == R.OBJ_ARRAY_DUMP:
        hdr = 1 + id_size + 4 + 4 + id_size
        n = struct.unpack_from(">I", data, 1 + id_size + 4)[0]
        avail = (len(data) - hdr) // id_size
        vals = np.frombuffer(data, dtype=">u8" if id_size == 8 else ">u4", count=avail, offset=hdr)
        return R.T_OBJECT, n, vals.astype(np.uint64)
    hdr = 1 + id_size + 4 + 4 + 1
    n, t = struct.unpack_from(">IB", data, 1 + id_size + 4)
    if rec.tag == R.PRIM_ARRAY_NODATA_DUMP:
        return t, n, np.empty(0)
    es = R.PRIMITIVE_SIZE[t]
    return t, n, np.frombuffer(data, dtype=_NUMPY[t], count=(len(data) - hdr) // es, offset=hdr)


def string_text(value: Record | None, coder: int | None, id_size: int) -> str | None:
    """A java.lang.String's text from its `value` array (byte[] with coder since JDK 9, char[] before)."""
    if value is None or value.tag not in (R.PRIM_ARRAY_DUMP,):
        return None
    t, _n, vals = array_values(value, id_size)
    if t == R.T_CHAR:
        return vals.astype(">u2").tobytes().decode("utf-16-be", "replace")
    if t == R.T_BYTE:
        raw = vals.tobytes()
        if coder == 1:  # UTF16, in the JVM's byte order (little-endian on x86 and aarch64)
            return raw.decode("utf-16-le", "replace")
        return raw.decode("latin-1")
    return None
