"""A small HPROF writer for edge cases no JVM produces on demand: 4-byte identifiers, Android (ART)
heap records, and the old top-level records (ALLOC_SITES, CPU_SAMPLES, …).

It spells the format out with its own numbers on purpose (it must not share the reader's constants,
so a wrong constant in the reader cannot make both agree).
"""

from __future__ import annotations

import struct


class HprofWriter:
    def __init__(self, id_size: int = 4, version: str = "JAVA PROFILE 1.0.3") -> None:
        self.id_size = id_size
        self.out = bytearray(version.encode() + b"\0" + struct.pack(">IQ", id_size, 1_700_000_000_000))
        self.heap = bytearray()
        self._sid = 0x100

    def ident(self, v: int) -> bytes:
        return v.to_bytes(self.id_size, "big")

    def record(self, tag: int, body: bytes) -> None:
        self.out += struct.pack(">BII", tag, 0, len(body)) + body

    def string(self, text: str) -> int:
        self._sid += 1
        self.record(0x01, self.ident(self._sid) + text.encode())
        return self._sid

    def load_class(self, serial: int, class_id: int, name: str) -> None:
        self.record(0x02, struct.pack(">I", serial) + self.ident(class_id) + struct.pack(">I", 0)
                    + self.ident(self.string(name)))

    def class_dump(self, class_id: int, super_id: int, fields: list[tuple[str, int]],
                   statics: list[tuple[str, int, bytes]] = ()) -> None:
        body = bytearray([0x20]) + self.ident(class_id) + struct.pack(">I", 0) + self.ident(super_id)
        body += self.ident(0) * 5 + struct.pack(">I", 0) + struct.pack(">H", 0)
        body += struct.pack(">H", len(statics))
        for name, t, value in statics:
            body += self.ident(self.string(name)) + bytes([t]) + value
        body += struct.pack(">H", len(fields))
        for name, t in fields:
            body += self.ident(self.string(name)) + bytes([t])
        self.heap += body

    def instance(self, obj_id: int, class_id: int, data: bytes) -> None:
        self.heap += bytes([0x21]) + self.ident(obj_id) + struct.pack(">I", 0) + self.ident(class_id) \
            + struct.pack(">I", len(data)) + data

    def prim_array(self, obj_id: int, elem_type: int, values: bytes, count: int, no_data: bool = False) -> None:
        tag = 0xC3 if no_data else 0x23
        self.heap += bytes([tag]) + self.ident(obj_id) + struct.pack(">II", 0, count) + bytes([elem_type]) \
            + (b"" if no_data else values)

    def obj_array(self, obj_id: int, class_id: int, elems: list[int]) -> None:
        self.heap += bytes([0x22]) + self.ident(obj_id) + struct.pack(">II", 0, len(elems)) + self.ident(class_id) \
            + b"".join(self.ident(e) for e in elems)

    def root(self, tag: int, obj_id: int, extra: bytes = b"") -> None:
        self.heap += bytes([tag]) + self.ident(obj_id) + extra

    def heap_info(self, heap_type: int, name: str) -> None:
        self.heap += bytes([0xFE]) + struct.pack(">I", heap_type) + self.ident(self.string(name))

    def flush_heap(self, tag: int = 0x1C) -> None:
        self.record(tag, bytes(self.heap))
        self.heap = bytearray()

    def bytes(self) -> bytes:
        return bytes(self.out)
