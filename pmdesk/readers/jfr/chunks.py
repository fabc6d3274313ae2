"""The JFR container: chunks (68-byte header, then size-prefixed records), LEB128 integers, strings, and
the metadata record (string table + element tree of classes, fields, annotations, settings)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pmdesk.readers.jfr import MAGIC

HEADER = struct.Struct(">4sHHqqqqqqqi")  # magic, major, minor, size, cp offset, metadata offset, start ns,
HEADER_BYTES = HEADER.size               # duration ns, start ticks, ticks/s, features
METADATA_TYPE = 0
CHECKPOINT_TYPE = 1
FEATURE_COMPRESSED_INTS = 1
UNIT_ANNOTATIONS = {"jdk.jfr.Timestamp": "timestamp", "jdk.jfr.Timespan": "timespan"}


@dataclass(frozen=True)
class ChunkHeader:
    offset: int
    major: int
    minor: int
    size: int
    cp_offset: int
    metadata_offset: int
    start_ns: int
    duration_ns: int
    start_ticks: int
    ticks_per_second: int
    features: int

    @classmethod
    def parse(cls, data: bytes | memoryview, offset: int) -> ChunkHeader:
        magic, *rest = HEADER.unpack_from(data, offset)
        if magic != MAGIC:
            raise ValueError(f"no JFR chunk at byte {offset:,}")
        return cls(offset, *rest)


def varint(data: bytes | memoryview, p: int) -> tuple[int, int]:
    """A JFR compressed integer at p: (value, next position). 7 bits a byte; a long's 9th byte has 8."""
    v = 0
    shift = 0
    for i in range(9):
        b = data[p + i]
        if i == 8:
            return v | (b << 56), p + 9
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, p + i + 1
        shift += 7
    raise AssertionError("unreachable")


def string(data: bytes | memoryview, p: int, pool: list[str] | None = None) -> tuple[str | None, int]:
    """An encoded string: 0 null, 1 empty, 2 constant-pool index, 3 UTF-8, 4 char array, 5 Latin-1."""
    enc = data[p]
    p += 1
    if enc == 0:
        return None, p
    if enc == 1:
        return "", p
    if enc == 2:
        idx, p = varint(data, p)
        return (pool[idx] if pool is not None and idx < len(pool) else f"<string {idx}>"), p
    n, p = varint(data, p)
    if enc == 3:
        return bytes(data[p:p + n]).decode("utf-8", "replace"), p + n
    if enc == 5:
        return bytes(data[p:p + n]).decode("latin-1"), p + n
    if enc == 4:
        chars = []
        for _ in range(n):
            c, p = varint(data, p)
            chars.append(chr(c) if 0 <= c < 0x110000 else "\ufffd")
        return "".join(chars), p
    raise ValueError(f"unknown string encoding {enc}")


@dataclass
class Element:
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)


@dataclass
class FieldInfo:
    name: str
    type_id: int
    constant_pool: bool
    array: bool
    unit: str | None = None  # "timestamp:TICKS", "timespan:NANOSECONDS", … from @Timestamp / @Timespan
    unsigned: bool = False  # @Unsigned


@dataclass
class TypeInfo:
    type_id: int
    name: str
    super_type: str | None
    fields: list[FieldInfo]
    simple: bool = False  # simpleType: stands for its one field's value (jdk.types.Symbol, FrameType, …)
    label: str | None = None  # @Label ("Garbage Collection")
    category: tuple[str, ...] = ()  # @Category ("Java Virtual Machine", "GC", "Collector")

    @property
    def is_event(self) -> bool:
        return self.super_type == "jdk.jfr.Event"


def metadata_identity(data: bytes | memoryview, offset: int) -> bytes:
    """What makes two chunks' metadata the same: its id and everything after it (the record's own start
    time and duration left out). The JDK compares the id alone, which repeats across JVMs."""
    size, p = varint(data, offset)
    for _ in range(3):  # type, start time, duration
        _v, p = varint(data, p)
    return bytes(data[p:offset + size])


def parse_metadata(data: bytes | memoryview, offset: int) -> dict[int, TypeInfo]:
    """The types a chunk's metadata record declares, by type id."""
    p = offset
    _size, p = varint(data, p)
    kind, p = varint(data, p)
    if kind != METADATA_TYPE:
        raise ValueError(f"no metadata record at byte {offset:,}")
    for _ in range(3):  # start time, duration, metadata id
        _v, p = varint(data, p)
    count, p = varint(data, p)
    strings: list[str] = []
    for _ in range(count):
        s, p = string(data, p)
        strings.append(s or "")

    def element(p: int) -> tuple[Element, int]:
        name, p = varint(data, p)
        el = Element(strings[name])
        n, p = varint(data, p)
        for _ in range(n):
            k, p = varint(data, p)
            v, p = varint(data, p)
            el.attributes[strings[k]] = strings[v]
        n, p = varint(data, p)
        for _ in range(n):
            child, p = element(p)
            el.children.append(child)
        return el, p

    root, _ = element(p)
    classes = [c for meta in root.children if meta.name == "metadata" for c in meta.children if c.name == "class"]
    names = {int(c.attributes["id"]): c.attributes.get("name", "") for c in classes}

    def annotation(el: Element, name: str) -> dict[str, str] | None:
        return next((a.attributes for a in el.children if a.name == "annotation"
                     and names.get(int(a.attributes.get("class", "-1"))) == name), None)

    def unit(f: Element) -> str | None:
        for a in f.children:
            kind = UNIT_ANNOTATIONS.get(names.get(int(a.attributes.get("class", "-1")), ""))
            if a.name == "annotation" and kind:
                return f"{kind}:{a.attributes.get('value', 'NANOSECONDS')}"
        return None

    types: dict[int, TypeInfo] = {}
    for cls in classes:
        a = cls.attributes
        fields = [FieldInfo(f.attributes.get("name", ""), int(f.attributes.get("class", "0")),
                            f.attributes.get("constantPool") == "true", "dimension" in f.attributes, unit(f),
                            annotation(f, "jdk.jfr.Unsigned") is not None)
                  for f in cls.children if f.name == "field"]
        label = annotation(cls, "jdk.jfr.Label") or {}
        category = annotation(cls, "jdk.jfr.Category") or {}
        path = tuple(category[k] for k in sorted(category, key=lambda k: int(k.partition("-")[2] or 0))
                     if k.startswith("value-"))  # array values are value-0, value-1, …
        types[int(a["id"])] = TypeInfo(int(a["id"]), a.get("name", ""), a.get("superType"), fields,
                                       a.get("simpleType") == "true", label.get("value"), path)
    return types
