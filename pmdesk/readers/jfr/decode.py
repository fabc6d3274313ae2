"""The numba kernels that run a type's decoding program (see layout.py) over JFR records: every event of
one type in a chunk at once, or the entries of one constant pool. Values land in a fixed-width int64 row per
record (floats as their bits, strings as the file offset of their encoding); array elements land in an
arena, element rows back to back, nested arrays after their parent's block."""

from __future__ import annotations

import numpy as np
from numba import njit

from pmdesk.readers.jfr.layout import OP_ARRAY, OP_F4, OP_F8, OP_RAW1, OP_STRING, OP_VARINT

STACK = 32
BAD = -1


@njit(cache=True, inline="always")
def _varint(data: np.ndarray, p: int, n: int) -> tuple[int, int]:
    v = 0
    for i in range(9):
        if p + i >= n:
            return 0, BAD
        b = np.int64(data[p + i])
        if i == 8:
            return v | (b << 56), p + 9
        v |= (b & 0x7F) << (7 * i)
        if b < 0x80:
            return v, p + i + 1
    return v, BAD


@njit(cache=True, nogil=True)
def _skip_string(data: np.ndarray, p: int, n: int) -> int:
    if p >= n:
        return BAD
    enc = data[p]
    p += 1
    if enc == 0 or enc == 1:
        return p
    if enc == 2:
        _v, p = _varint(data, p, n)
        return p
    count, p = _varint(data, p, n)
    if p == BAD or count < 0:
        return BAD
    if enc == 3 or enc == 5:
        return p + count if count <= n - p else BAD  # (not p + count: a length near 2**63 would wrap)
    if enc == 4:
        for _ in range(count):
            _v, p = _varint(data, p, n)
            if p == BAD:
                return BAD
        return p
    return BAD


@njit(cache=True, inline="always")
def _cut(v: int, bits: int, signed: int) -> int:
    if bits == 32:
        v &= 0xFFFFFFFF
        if signed and v >= 0x80000000:
            v -= 0x100000000
    elif bits == 16:
        v &= 0xFFFF
        if signed and v >= 0x8000:
            v -= 0x10000
    return v


@njit(cache=True, nogil=True)
def _run(data: np.ndarray, p: int, prog: np.ndarray, pc: int, end: int, row: np.ndarray,
         arena: np.ndarray, an: int, stack: np.ndarray) -> tuple[int, np.ndarray, int]:
    """Decode one value at p with ops[pc:end]; top-level slots go to `row`, array elements to the arena.
    Returns (next position or BAD, arena, arena length)."""
    n = data.shape[0]
    sp = 0
    in_arena = 0
    base = 0
    while True:
        if pc >= end:
            if sp == 0:
                return p, arena, an
            top = sp - 1
            if stack[top, 0] > 1:  # next element of the array on top
                stack[top, 0] -= 1
                stack[top, 1] += stack[top, 2]
                base = stack[top, 1]
                pc = stack[top, 3]
                end = stack[top, 4]
                in_arena = 1
                continue
            sp = top  # array done: back to the ops after it
            pc = stack[top, 5]
            end = stack[top, 6]
            in_arena = stack[top, 7]
            base = stack[top, 8]
            continue
        op = prog[pc, 0]
        slot = base + prog[pc, 1]
        v = 0
        if op == OP_VARINT:
            v, p = _varint(data, p, n)
            v = _cut(v, prog[pc, 2], prog[pc, 3])
        elif op == OP_RAW1:
            if p >= n:
                return BAD, arena, an
            v = np.int64(data[p])
            if prog[pc, 3] == 1 and v >= 128:
                v -= 256
            p += 1
        elif op == OP_F4 or op == OP_F8:
            size = 4 if op == OP_F4 else 8
            if p + size > n:
                return BAD, arena, an
            for i in range(size):
                v = (v << 8) | np.int64(data[p + i])
            p += size
        elif op == OP_STRING:
            v = p
            p = _skip_string(data, p, n)
        elif op == OP_ARRAY:
            count, p = _varint(data, p, n)
            width = prog[pc, 4]
            if p == BAD or count < 0 or count > n - p:  # every element takes at least a byte
                return BAD, arena, an
            start = an
            need = an + count * width
            if need > arena.shape[0]:
                grown = np.empty(max(need, 2 * arena.shape[0]), np.int64)
                grown[:an] = arena[:an]
                arena = grown
            arena[an:need] = -1
            an = need
            if in_arena:
                arena[slot] = start
                arena[slot + 1] = count
            else:
                row[slot] = start
                row[slot + 1] = count
            if count > 0 and prog[pc, 2] < prog[pc, 3]:
                if sp >= stack.shape[0]:
                    return BAD, arena, an
                stack[sp, 0] = count
                stack[sp, 1] = start
                stack[sp, 2] = width
                stack[sp, 3] = prog[pc, 2]
                stack[sp, 4] = prog[pc, 3]
                stack[sp, 5] = pc + 1
                stack[sp, 6] = end
                stack[sp, 7] = in_arena
                stack[sp, 8] = base
                sp += 1
                base = start
                end = prog[pc, 3]
                pc = prog[pc, 2]
                in_arena = 1
                continue
            pc += 1
            continue
        if p == BAD:
            return BAD, arena, an
        if in_arena:
            arena[slot] = v
        else:
            row[slot] = v
        pc += 1


@njit(cache=True, nogil=True)
def decode_records(data: np.ndarray, offsets: np.ndarray, ends: np.ndarray, prog: np.ndarray, length: int,
                   width: int, arena: np.ndarray, an: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Every record at `offsets` (ending before `ends`): (rows, arena, arena length, ok per record).
    A record whose fields run past its end is marked not ok and its row left at -1."""
    n = offsets.shape[0]
    rows = np.full((n, max(width, 1)), -1, np.int64)
    ok = np.ones(n, np.bool_)
    stack = np.empty((STACK, 9), np.int64)
    size = data.shape[0]
    for i in range(n):
        p = offsets[i]
        _v, p = _varint(data, p, size)  # record size
        _v, p = _varint(data, p, size)  # record type
        mark = an
        q, arena, an = _run(data, p, prog, 0, length, rows[i], arena, an, stack)
        if q == BAD or q > ends[i]:
            ok[i] = False
            rows[i, :] = -1
            an = mark
    return rows, arena, an, ok


@njit(cache=True, nogil=True)
def decode_pool(data: np.ndarray, p: int, count: int, prog: np.ndarray, length: int, width: int,
                arena: np.ndarray, an: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """`count` constant-pool entries (key, value) from p: (keys, rows, arena, arena length, next position or
    BAD)."""
    keys = np.empty(count, np.int64)
    rows = np.full((count, max(width, 1)), -1, np.int64)
    stack = np.empty((STACK, 9), np.int64)
    size = data.shape[0]
    for i in range(count):
        keys[i], p = _varint(data, p, size)
        if p == BAD:
            return keys[:i], rows[:i], arena, an, BAD
        p, arena, an = _run(data, p, prog, 0, length, rows[i], arena, an, stack)
        if p == BAD:
            return keys[:i], rows[:i], arena, an, BAD
    return keys, rows, arena, an, p


@njit(cache=True, nogil=True)
def scan_records(data: np.ndarray, p: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The records of a chunk from p up to end: (offsets, sizes, type ids, first field — an event's start
    ticks —, where reading stopped). Reading stops at end or at the first record that does not fit."""
    cap = 1024
    offsets = np.empty(cap, np.int64)
    sizes = np.empty(cap, np.int64)
    kinds = np.empty(cap, np.int64)
    firsts = np.empty(cap, np.int64)
    k = 0
    while p < end:
        size, q = _varint(data, p, end)
        if q == BAD or size <= 0 or size > end - p:  # (not p + size: a size near 2**63 would wrap)
            break
        kind, q = _varint(data, q, end)
        first, r = _varint(data, q, end)
        if q == BAD:
            break
        if k == cap:
            cap *= 2
            offsets = _grow(offsets, cap)
            sizes = _grow(sizes, cap)
            kinds = _grow(kinds, cap)
            firsts = _grow(firsts, cap)
        offsets[k] = p
        sizes[k] = size
        kinds[k] = kind
        firsts[k] = first if r != BAD else 0
        k += 1
        p += size
    return offsets[:k], sizes[:k], kinds[:k], firsts[:k], p


@njit(cache=True, nogil=True)
def _grow(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.empty(cap, a.dtype)
    out[:a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def string_keys(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the string encoded at each offset: (kind, key) — kind 0 null (or no string), 1 empty, 2 a
    constant-pool reference (key: its index), 3 inline (key: a 64-bit FNV-1a hash of its encoding, length and
    bytes or chars), so equal strings are found without decoding each one."""
    n = data.shape[0]
    kinds = np.zeros(offsets.shape[0], np.int8)
    keys = np.zeros(offsets.shape[0], np.uint64)
    prime = np.uint64(1099511628211)
    for i in range(offsets.shape[0]):
        p = offsets[i]
        if p < 0 or p >= n:
            continue
        enc = data[p]
        if enc == 0:
            continue
        if enc == 1:
            kinds[i] = 1
            continue
        v, q = _varint(data, p + 1, n)
        if q == BAD:
            continue
        if enc == 2:
            kinds[i] = 2
            keys[i] = np.uint64(v)
            continue
        h = np.uint64(14695981039346656037)
        h = (h ^ np.uint64(enc)) * prime
        h = (h ^ np.uint64(v)) * prime
        if enc == 4:
            for _ in range(v):
                c, q = _varint(data, q, n)
                if q == BAD:
                    break
                h = (h ^ np.uint64(c)) * prime
        else:
            for j in range(q, q + min(v, n - q)):  # a length from the file is bounded by what is left
                h = (h ^ np.uint64(data[j])) * prime
        kinds[i] = 3
        keys[i] = h
    return kinds, keys
