"""The Go heap dump format (`runtime/debug.WriteHeapDump`, header `go1.7 heap dump`): record tags, field
kinds, and a cursor that decodes the few small records (goroutines, frames' headers, types, memstats …).

The format is the writer's, Go 1.7 to today: `src/runtime/heapdump.go` (and golang.org/s/go15heapdump).
Every number is an unsigned LEB128 varint; a string or memory range is a varint length then the bytes; a
field list is (kind, offset) varint pairs ended by kind 0.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass

HEADER = b"go1.7 heap dump\n"

# Record tags (heapdump.go tag*).
T_EOF, T_OBJECT, T_OTHER_ROOT, T_TYPE, T_GOROUTINE, T_STACK_FRAME, T_PARAMS, T_FINALIZER, T_ITAB = range(9)
T_OS_THREAD, T_MEM_STATS, T_QUEUED_FINALIZER, T_DATA, T_BSS, T_DEFER, T_PANIC, T_MEM_PROF, T_ALLOC_SAMPLE = \
    range(9, 18)
N_TAGS = 18
TAG_NAMES = ("eof", "object", "other root", "type", "goroutine", "stack frame", "dump params", "finalizer", "itab",
             "OS thread", "memstats", "queued finalizer", "data segment", "bss segment", "defer", "panic",
             "memory profile bucket", "allocation sample")

# Field kinds in a field list (heapdump.go fieldKind*): a pointer, an interface (itab, data), an empty
# interface (type, data). The runtime writes only pointers since Go 1.5; the others are read all the same.
F_EOL, F_PTR, F_IFACE, F_EFACE = range(4)

# The memstats record: runtime.MemStats's first fields in order, then PauseNs[256], then NumGC.
MEMSTATS_FIELDS = ("alloc", "total_alloc", "sys", "lookups", "mallocs", "frees", "heap_alloc", "heap_sys",
                   "heap_idle", "heap_inuse", "heap_released", "heap_objects", "stack_inuse", "stack_sys",
                   "mspan_inuse", "mspan_sys", "mcache_inuse", "mcache_sys", "buckhash_sys", "gc_sys", "other_sys",
                   "next_gc", "last_gc", "pause_total_ns")
PAUSE_NS = 256

# Goroutine status (runtime2.go _G*): the dump holds runnable, syscall and waiting ones.
G_STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 6: "dead", 8: "copystack",
            9: "preempted"}


class Cut(Exception):
    """A record runs past the end of the dump, or a varint never ends."""


class Cursor:
    """Reads varints, strings and field lists from the dump's bytes, from `pos` on."""

    def __init__(self, buf: bytes | mmap.mmap, pos: int) -> None:
        self.buf = buf
        self.pos = pos

    def uint(self) -> int:
        v = shift = 0
        buf, p = self.buf, self.pos
        for _ in range(10):
            if p >= len(buf):
                raise Cut
            b = buf[p]
            p += 1
            v |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = p
                return v & 0xFFFFFFFFFFFFFFFF
            shift += 7
        raise Cut

    def bytes_(self) -> bytes:
        n = self.uint()
        if n > len(self.buf) - self.pos:
            raise Cut
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def text(self) -> str:
        return self.bytes_().decode("utf-8", "replace")

    def skip_range(self) -> tuple[int, int]:
        """A memory range's (start offset, length), stepped over."""
        n = self.uint()
        if n > len(self.buf) - self.pos:
            raise Cut
        start = self.pos
        self.pos += n
        return start, n

    def fields(self) -> list[tuple[int, int]]:
        """A field list: (kind, offset) pairs up to the end marker."""
        out = []
        while True:
            kind = self.uint()
            if kind == F_EOL:
                return out
            out.append((kind, self.uint()))


@dataclass
class Goroutine:
    record: int         # byte offset of the record
    addr: int           # the g's address
    sp: int
    goid: int
    gopc: int           # where the go statement that started it is
    status: int
    system: bool
    wait_since: int     # nanotime when it began waiting (0: not waiting, or not recorded)
    wait_reason: str
    ctxt: int
    m: int
    defer: int
    panic: int


def goroutine(c: Cursor, record: int) -> Goroutine:
    addr, sp, goid, gopc, status = (c.uint() for _ in range(5))
    system = bool(c.uint())
    c.uint()  # isbackground: always false
    wait_since = c.uint()
    reason = c.text()
    ctxt, m, dfr, pnc = (c.uint() for _ in range(4))
    return Goroutine(record, addr, sp, goid, gopc, status, system, wait_since, reason, ctxt, m, dfr, pnc)


@dataclass
class Frame:
    record: int
    sp: int             # lowest address in the frame
    depth: int          # 0 = the goroutine's innermost frame
    child_sp: int       # 0 at the bottom of the stack
    content: int        # byte offset of the frame's contents in the dump
    size: int           # bytes of contents
    entry: int
    pc: int
    continuation_pc: int
    function: str


def frame(c: Cursor, record: int) -> Frame:
    sp, depth, child = c.uint(), c.uint(), c.uint()
    content, size = c.skip_range()
    entry, pc, cont = c.uint(), c.uint(), c.uint()
    return Frame(record, sp, depth, child, content, size, entry, pc, cont, c.text())


@dataclass
class MemProfBucket:
    bucket: int
    size: int
    frames: list[tuple[str, str, int]]  # (function, file, line), innermost first
    allocs: int
    frees: int


def memprof(c: Cursor) -> MemProfBucket:
    bucket, size, n = c.uint(), c.uint(), c.uint()
    if n > len(c.buf):  # each frame takes at least three bytes
        raise Cut
    frames = [(c.text(), c.text(), c.uint()) for _ in range(n)]
    return MemProfBucket(bucket, size, frames, c.uint(), c.uint())
