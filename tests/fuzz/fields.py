"""Where the length, count and offset fields of each artefact are — found by walking the file as its format's
specification lays it out, independently of pmdesk's readers (so a reader's mistake about a field is not
repeated here) — for the harness's structure-aware mutants: each such field set to 0, 1, its width's largest
value, 2**31, 2**63, the file's size or its own value ±1.

A field is (offset, width in bytes, 'big'|'little') for a fixed-width integer, (offset, length, 'varint') for a
LEB128 one, (offset, length, 'text') for a number written in text. Specifications each walker follows:
hprof — the JDK's `src/hotspot/share/services/heapDumper.cpp` header comment; JFR — JMC's
`ChunkHeader`/`ChunkParser` (chunk header, LEB128 event sizes, metadata and constant-pool events); ELF — the
System V gABI (program headers, notes) and Linux's `NT_FILE` layout (`fs/binfmt_elf.c`); minidump — Microsoft's
`minidumpapiset.h` (header, directory, thread/module/memory lists, MINIDUMP_STRING); perf.data — the kernel's
`tools/perf/Documentation/perf.data-file-format.txt`; protobuf — the wire format (protobuf.dev/programming-guides/
encoding); pickle — `pickletools`' opcode table; Go heap dumps — go.dev/wiki/heapdump15-through-heapdump17;
pmdesk Python heaps — the format in `pmdesk/capture/__init__.py`'s docstring."""

from __future__ import annotations

import gzip
import io
import pickletools
import re
import struct
from collections.abc import Callable, Iterator

Field = tuple[int, int, str]


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after) of the LEB128 number at `pos`; ValueError past the end."""
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 70:
            raise ValueError("varint past the end")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


# hprof: u1 tag, u4 time, u4 length; heap dump (segments) hold tagged sub-records
HPROF_ROOT_IDS = {0xFF: 1, 0x01: 2, 0x05: 1, 0x07: 1}  # sub-record tag → ids, no other fields
HPROF_ROOT_MORE = {0x02: 8, 0x03: 8, 0x04: 4, 0x06: 4, 0x08: 8}  # one id and these many bytes
HPROF_TYPE_BYTES = {2: None, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}  # None: an id


def hprof_fields(data: bytes) -> Iterator[Field]:
    end = data.index(b"\0") + 1
    yield end, 4, "big"  # identifier size
    ids = struct.unpack_from(">I", data, end)[0]
    pos = end + 12
    while pos + 9 <= len(data):
        tag, length = data[pos], struct.unpack_from(">I", data, pos + 5)[0]
        yield pos + 5, 4, "big"
        body = pos + 9
        if tag == 0x05 and length >= 12:  # stack trace: serial, thread serial, frame count
            yield body + 8, 4, "big"
        elif tag in (0x0C, 0x1C):
            yield from _hprof_heap(data, body, min(body + length, len(data)), ids)
        pos = body + length


def _hprof_heap(data: bytes, pos: int, end: int, ids: int) -> Iterator[Field]:
    def size(t: int) -> int:
        return ids if HPROF_TYPE_BYTES.get(t, 0) is None else HPROF_TYPE_BYTES.get(t, 0)

    while pos < end:
        tag = data[pos]
        pos += 1
        if tag in HPROF_ROOT_IDS:
            pos += ids * HPROF_ROOT_IDS[tag]
        elif tag in HPROF_ROOT_MORE:
            pos += ids + HPROF_ROOT_MORE[tag]
        elif tag == 0x20:  # class dump
            pos += 7 * ids + 4
            yield pos, 4, "big"  # instance size
            pos += 4
            yield pos, 2, "big"
            (n,) = struct.unpack_from(">H", data, pos)
            pos += 2
            for _ in range(n):
                pos += 2
                pos += 1 + size(data[pos])
            yield pos, 2, "big"
            (n,) = struct.unpack_from(">H", data, pos)
            pos += 2
            for _ in range(n):
                pos += ids
                pos += 1 + size(data[pos])
            yield pos, 2, "big"
            (n,) = struct.unpack_from(">H", data, pos)
            pos += 2 + n * (ids + 1)
        elif tag == 0x21:  # instance: id, serial, class id, byte count
            pos += 2 * ids + 4
            yield pos, 4, "big"
            pos += 4 + struct.unpack_from(">I", data, pos)[0]
        elif tag == 0x22:  # object array: id, serial, length, class id, elements
            pos += ids + 4
            yield pos, 4, "big"
            pos += 4 + ids + ids * struct.unpack_from(">I", data, pos)[0]
        elif tag == 0x23:  # primitive array: id, serial, length, type, elements
            pos += ids + 4
            yield pos, 4, "big"
            yield pos + 4, 1, "big"
            n = struct.unpack_from(">I", data, pos)[0]
            pos += 5 + n * size(data[pos + 4])
        else:
            return


def jfr_fields(data: bytes) -> Iterator[Field]:
    chunk = 0
    while chunk + 68 <= len(data) and data[chunk:chunk + 4] == b"FLR\0":
        for at in (8, 16, 24):  # chunk size, constant pool offset, metadata offset
            yield chunk + at, 8, "big"
        size = struct.unpack_from(">Q", data, chunk + 8)[0]
        pos, end = chunk + 68, min(chunk + size, len(data))
        while pos < end:
            n, after = _uvarint(data, pos)
            yield pos, after - pos, "varint"
            kind, p = _uvarint(data, after)
            if kind in (0, 1):
                for _ in range(3):  # start, duration, then delta (a pool) or metadata id
                    _v, p = _uvarint(data, p)
                if kind == 1:
                    p += 1  # flush flag
                count, after_count = _uvarint(data, p)
                yield p, after_count - p, "varint"  # pools (a pool event) or strings (metadata)
                if kind == 0:
                    yield from _jfr_strings(data, after_count, count)
            if n <= 0:
                break
            pos += n
        if size == 0:
            break
        chunk += size


def _jfr_strings(data: bytes, pos: int, count: int) -> Iterator[Field]:
    """The metadata event's string table: each an encoding byte (0 null, 1 empty, 2 a pool reference, 3 UTF-8,
    4 chars as varints, 5 Latin-1) and, for 3-5, a varint length."""
    for _ in range(count):
        enc = data[pos]
        pos += 1
        if enc in (3, 4, 5):
            n, after = _uvarint(data, pos)
            yield pos, after - pos, "varint"
            pos = after
            if enc == 4:
                for _ in range(n):
                    pos = _uvarint(data, pos)[1]
            else:
                pos += n
        elif enc == 2:
            pos = _uvarint(data, pos)[1]


ELF_NT_FILE = 0x46494C45


def elf_fields(data: bytes) -> Iterator[Field]:
    wide = data[4] == 2  # ELFCLASS64, else 32
    word, q = (8, "<Q") if wide else (4, "<I")
    heads = ((32, 8), (40, 8), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)) if wide else \
        ((28, 4), (32, 4), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2))
    for at, width in heads:
        yield at, width, "little"
    phoff, = struct.unpack_from(q, data, heads[0][0])
    phentsize, phnum = struct.unpack_from("<HH", data, heads[2][0])
    offset_at, filesz_at = (8, 32) if wide else (4, 16)
    for i in range(phnum):
        ph = phoff + i * phentsize
        for at in ((8, 16, 32, 40) if wide else (4, 8, 16, 20)):  # offset, vaddr, filesz, memsz
            yield ph + at, word, "little"
        p_type, = struct.unpack_from("<I", data, ph)
        if p_type == 4:  # PT_NOTE
            off, filesz = struct.unpack_from(q, data, ph + offset_at)[0], struct.unpack_from(q, data, ph + filesz_at)[0]
            yield from _elf_notes(data, off, min(off + filesz, len(data)), word)


def _elf_notes(data: bytes, pos: int, end: int, word: int = 8) -> Iterator[Field]:
    while pos + 12 <= end:
        namesz, descsz, kind = struct.unpack_from("<III", data, pos)
        yield pos, 4, "little"
        yield pos + 4, 4, "little"
        desc = pos + 12 + (namesz + 3) // 4 * 4
        if kind == ELF_NT_FILE and desc + 2 * word <= end:  # count, page size, (start, end, offset) words
            count = int.from_bytes(data[desc:desc + word], "little")
            yield desc, word, "little"
            yield desc + word, word, "little"
            for i in range(min(count, (end - desc) // (3 * word))):
                for k in range(3):
                    yield desc + 2 * word + 3 * word * i + word * k, word, "little"
        pos = desc + (descsz + 3) // 4 * 4


def minidump_fields(data: bytes) -> Iterator[Field]:
    yield 8, 4, "little"
    yield 12, 4, "little"
    n, rva = struct.unpack_from("<II", data, 8)
    for i in range(n):
        entry = rva + 12 * i
        if entry + 12 > len(data):
            return
        kind, size, at = struct.unpack_from("<III", data, entry)
        yield entry + 4, 4, "little"
        yield entry + 8, 4, "little"
        if at + 4 > len(data):
            continue
        count, = struct.unpack_from("<I", data, at)
        if kind in (3, 4, 5):  # thread, module, memory list
            yield at, 4, "little"
            stride, locations = {3: (48, (32, 36, 40, 44)), 4: (108, (8, 20, 76, 80, 84, 88)), 5: (16, (8, 12))}[kind]
            for j in range(min(count, (len(data) - at) // stride)):
                for off in locations:
                    yield at + 4 + stride * j + off, 4, "little"
                if kind == 4:  # the module's name: a MINIDUMP_STRING (u4 byte length, UTF-16)
                    name, = struct.unpack_from("<I", data, at + 4 + stride * j + 20)
                    if name + 4 <= len(data):
                        yield name, 4, "little"
        elif kind == 9:  # memory64 list: count, base rva, (start, size) pairs
            yield at, 8, "little"
            yield at + 8, 8, "little"
        elif kind == 6:  # exception: its parameter count and the thread context's location
            yield at + 32, 4, "little"
            yield at + 160, 4, "little"
            yield at + 164, 4, "little"


def perf_fields(data: bytes) -> Iterator[Field]:
    for at in range(8, 64, 8):  # header size, attr size, then (offset, size) of attrs, data, event types
        yield at, 8, "little"
    attr_size, attrs, attrs_size, data_off, data_size = struct.unpack_from("<QQQQQ", data, 16)
    for i in range(attrs_size // max(attr_size, 1)):
        a = attrs + i * attr_size
        yield a + 4, 4, "little"  # perf_event_attr.size
        yield a + attr_size - 16, 8, "little"  # its ids' section
        yield a + attr_size - 8, 8, "little"
    pos, end = data_off, min(data_off + data_size, len(data))
    while pos + 8 <= end:
        yield pos + 6, 2, "little"  # record size
        size, = struct.unpack_from("<H", data, pos + 6)
        if size < 8:
            break
        pos += size
    bits = int.from_bytes(data[72:104], "little")
    sections = end
    for _ in range(bin(bits).count("1")):
        if sections + 16 > len(data):
            break
        yield sections, 8, "little"
        yield sections + 8, 8, "little"
        sections += 16


def protobuf_fields(data: bytes, pos: int = 0, end: int | None = None, depth: int = 0) -> Iterator[Field]:
    end = len(data) if end is None else end
    found = []
    try:
        while pos < end:
            tag, p = _uvarint(data, pos)
            wire = tag & 7
            if tag >> 3 == 0:
                return
            if wire == 0:
                _v, p2 = _uvarint(data, p)
                found.append((p, p2 - p, "varint"))
                pos = p2
            elif wire == 1:
                pos = p + 8
            elif wire == 5:
                pos = p + 4
            elif wire == 2:
                n, p2 = _uvarint(data, p)
                if p2 + n > end:
                    return
                found.append((p, p2 - p, "varint"))
                if depth < 8:
                    found.extend(protobuf_fields(data, p2, p2 + n, depth + 1))
                pos = p2 + n
            else:
                return
    except ValueError:
        return
    if pos == end:  # a payload that parses to its end is a message; else it was bytes
        yield from found


def pickle_fields(data: bytes) -> Iterator[Field]:
    widths = {"BINUNICODE": 4, "SHORT_BINUNICODE": 1, "BINUNICODE8": 8, "BINBYTES": 4, "SHORT_BINBYTES": 1,
              "BINBYTES8": 8, "BININT": 4, "BININT1": 1, "BININT2": 2, "LONG1": 1, "LONG4": 4, "BINGET": 1,
              "LONG_BINGET": 4, "BINPUT": 1, "LONG_BINPUT": 4, "FRAME": 8, "SHORT_BINSTRING": 1, "BINSTRING": 4}
    for op, _arg, pos in pickletools.genops(io.BytesIO(data)):
        if op.name in widths:
            yield pos + 1, widths[op.name], "little"


GO_STRING, GO_FIELDS = "s", "f"
GO_RECORDS = {  # go.dev/wiki/heapdump15-through-heapdump17: u = uvarint, s = string, f = field list
    1: "usf", 2: "su", 3: "uusu", 4: "uuuuuuuusuuuu", 5: "uuusuuusf", 6: "uuuussu", 7: "uuuuu", 8: "uu",
    9: "uuu", 10: "u" * 281, 11: "uuuuu", 12: "usf", 13: "usf", 14: "uuuuuuu", 15: "uuuuuu", 17: "uu"}


def goheap_fields(data: bytes) -> Iterator[Field]:
    pos = data.index(b"\n") + 1
    while pos < len(data):
        kind, pos = _uvarint(data, pos)
        if kind == 0:
            return
        layout = GO_RECORDS.get(kind)
        if kind == 16:  # alloc/free profile: bucket, size, frame count, frames (fn, file, line), allocs, frees
            _b, pos = _uvarint(data, pos)
            _s, pos = _uvarint(data, pos)
            n, p = _uvarint(data, pos)
            yield pos, p - pos, "varint"
            pos = p
            layout = "ssu" * n + "uu"
        if layout is None:
            return
        for part in layout:
            if part == "u":
                pos = _uvarint(data, pos)[1]
            elif part == GO_STRING:
                n, p = _uvarint(data, pos)
                yield pos, p - pos, "varint"
                pos = p + n
            else:
                while True:
                    k, pos = _uvarint(data, pos)
                    if k == 0:
                        break
                    p = pos
                    pos = _uvarint(data, pos)[1]
                    yield p, pos - p, "varint"  # a pointer field's offset


def pyheap_fields(data: bytes) -> Iterator[Field]:
    words = len(data) // 8
    pos = 2  # after the 16-byte header
    w = struct.Struct("<q").unpack_from

    def word(i: int) -> int:
        return w(data, 8 * i)[0]

    while pos < words:
        tag = word(pos)
        if tag == 0:
            return
        count_at, skip, per = {1: (1, 2, None), 3: (4, 5, 1), 4: (2, 3, 2), 6: (3, 4, 1), 7: (5, 6, 2)}.get(
            tag, (None, {2: 3, 5: 4, 8: 5, 9: 3}.get(tag, 0), 0))
        if skip == 0:
            return
        if count_at is None:
            if tag in (2, 5, 8, 9):
                yield 8 * (pos + 1), 8, "little"  # an id, a kind or a string number
            pos += skip
            continue
        n = word(pos + count_at)
        yield 8 * (pos + count_at), 8, "little"
        pos += skip + ((n + 7) // 8 if per is None else n * per)


def text_fields(data: bytes) -> Iterator[Field]:
    for m in re.finditer(rb"(?<![0-9A-Za-z_.])(?:0x[0-9a-fA-F]+|[0-9]+)", data):
        yield m.start(), m.end() - m.start(), "text"


WALKERS: dict[str, Callable[[bytes], Iterator[Field]]] = {
    ".hprof": hprof_fields, ".jfr": jfr_fields, ".core": elf_fields, ".dmp": minidump_fields, ".data": perf_fields,
    ".pb": protobuf_fields, ".tracemalloc": pickle_fields, ".heapdump": goheap_fields, ".pyheap": pyheap_fields}
TEXT = (".txt", ".json", ".ips", ".crash", ".heapy")


def fields(data: bytes, suffix: str) -> list[Field]:
    """Every field the walker of `suffix`'s format finds in `data`, in file order (a walker stops where the
    file stops making sense to it); none for formats walked by nobody here (memray's)."""
    if suffix in TEXT:
        return list(text_fields(data))
    walker = WALKERS.get(suffix)
    out: list[Field] = []
    if walker is not None:
        try:
            for f in walker(data):
                out.append(f)
        except (ValueError, IndexError, struct.error):
            pass
    return [f for f in out if 0 <= f[0] and f[0] + f[1] <= len(data)]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def set_field(data: bytes, field: Field, choice: int) -> bytes:
    """`data` with `field` set to the `choice`-th of its interesting values (modulo how many there are):
    0, 1, the width's largest, 2**31, 2**63 (wider fields), the file's size, its own value + 1 and - 1; text
    numbers also to 2**64, 2**66, -1, 1e400."""
    at, width, how = field
    if how == "text":
        old = data[at:at + width]
        values = [b"0", b"1", b"18446744073709551615", b"18446744073709551616", b"73786976294838206464",
                  b"-1", b"1e400", b"9" * 400, b"0x" + b"f" * 20, str(len(data)).encode()]
        if old.isdigit():
            values += [str(int(old) + 1).encode(), str(max(int(old) - 1, 0)).encode()]
        return data[:at] + values[choice % len(values)] + data[at + width:]
    if how == "varint":
        old, _ = _uvarint(data, at)
        values = [0, 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1, len(data), old + 1, max(old - 1, 0), old * 2]
        return data[:at] + _varint(values[choice % len(values)]) + data[at + width:]
    bits = 8 * width
    old = int.from_bytes(data[at:at + width], how)
    top = (1 << bits) - 1
    values = [0, 1, top, top >> 1, (1 << (bits - 1)), len(data) & top, (old + 1) & top, (old - 1) & top]
    if bits >= 32:
        values += [1 << 31, (1 << 31) - 1]
    if bits == 64:
        values += [1 << 62, (1 << 63) - 1]
    return data[:at] + values[choice % len(values)].to_bytes(width, how) + data[at + width:]


def gzip_wrapped(data: bytes) -> bool:
    """Whether `data` is a gzip member (its fields are those of what it inflates to)."""
    return data[:2] == b"\x1f\x8b"


def mutate_field(data: bytes, suffix: str, choose: Callable[[int], int], known: list[Field] | None = None) -> bytes:
    """`data` with one of its format's fields set to an interesting value; `choose(n)` picks a number below n.
    Gzip artefacts are inflated, mutated and deflated again (a protobuf inside: pprof, tombstones)."""
    if gzip_wrapped(data):
        inner = gzip.decompress(data)
        return gzip.compress(mutate_field(inner, ".pb", choose), 6, mtime=0)
    found = fields(data, suffix) if known is None else known
    if not found:
        return data
    return set_field(data, found[choose(len(found))], choose(1 << 16))
