"""numba kernels over perf.data's records (include/uapi/linux/perf_event.h): the record scan (type, offset,
size of each; a size under 8 or past the end stops it with the offset) and the decoding of SAMPLE records by
their event's sample_type — ip, pid/tid, time, cpu, period, the call chain's place, REGS_USER and STACK_USER
(DWARF mode) — in the order the kernel writes the fields. Either byte order."""

from __future__ import annotations

import numba
import numpy as np

from pmdesk.readers.perfdata.header import (
    ADDR,
    BRANCH_STACK,
    CALLCHAIN,
    CPU,
    ID,
    IDENTIFIER,
    IP,
    PERIOD,
    RAW,
    READ,
    REGS_USER,
    STACK_USER,
    STREAM_ID,
    TID,
    TIME,
)
from pmdesk.readers.stack_trie import GOLDEN, slot

OK, BAD_SIZE, PAST_END, BAD_SAMPLE = 0, 1, 2, 3
CONTEXT_KERNEL, CONTEXT_USER, CONTEXT_MAX = -128, -512, -4095  # call-chain context markers, as int64
SAMPLE = 9
FORMAT_TOTAL_TIME_ENABLED, FORMAT_TOTAL_TIME_RUNNING, FORMAT_ID, FORMAT_GROUP, FORMAT_LOST = 1, 2, 4, 8, 16
BRANCH_HW_INDEX = 1 << 17


@numba.njit(cache=True, nogil=True)
def doubled(arr: np.ndarray, n: int) -> np.ndarray:
    """An array twice as long holding arr's first n elements (a growing numba kernel's storage)."""
    out = np.empty(len(arr) * 2, arr.dtype)
    out[:n] = arr[:n]
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def u64(buf: np.ndarray, pos: int, big: bool) -> int:
    v = np.uint64(0)
    for i in range(8):
        b = np.uint64(buf[pos + (i if big else 7 - i)])
        v = (v << np.uint64(8)) | b
    return np.int64(v)


@numba.njit(cache=True, nogil=True, inline="always")
def u32(buf: np.ndarray, pos: int, big: bool) -> int:
    v = 0
    for i in range(4):
        v = (v << 8) | buf[pos + (i if big else 3 - i)]
    return v


@numba.njit(cache=True, nogil=True, inline="always")
def u16(buf: np.ndarray, pos: int, big: bool) -> int:
    return (buf[pos] << 8 | buf[pos + 1]) if big else (buf[pos + 1] << 8 | buf[pos])


@numba.njit(cache=True, nogil=True)
def scan(buf: np.ndarray, start: int, end: int, big: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """(type, offset, size) of each record in buf[start:end], and (error, offset) where the scan stopped."""
    cap = 1 << 14
    types = np.empty(cap, np.int32)
    offs = np.empty(cap, np.int64)
    sizes = np.empty(cap, np.int32)
    n = 0
    pos = start
    err = OK
    while pos < end:
        if pos + 8 > end:
            err = PAST_END
            break
        typ = u32(buf, pos, big)
        size = u16(buf, pos + 6, big)
        if size < 8:
            err = BAD_SIZE
            break
        if pos + size > end:
            err = PAST_END
            break
        if n == cap:
            cap *= 2
            t2 = np.empty(cap, np.int32)
            o2 = np.empty(cap, np.int64)
            s2 = np.empty(cap, np.int32)
            t2[:n] = types[:n]
            o2[:n] = offs[:n]
            s2[:n] = sizes[:n]
            types, offs, sizes = t2, o2, s2
        types[n] = typ
        offs[n] = pos
        sizes[n] = size
        n += 1
        pos += size
    return types[:n], offs[:n], sizes[:n], err, pos


@numba.njit(cache=True, nogil=True)
def _popcount(x: int) -> int:
    c = 0
    v = np.uint64(x)
    while v:
        c += int(v & np.uint64(1))
        v >>= np.uint64(1)
    return c


@numba.njit(cache=True, nogil=True)
def decode_samples(buf: np.ndarray, offs: np.ndarray, sizes: np.ndarray, big: bool, sample_types: np.ndarray,
                   read_formats: np.ndarray, branch_types: np.ndarray, regs_masks: np.ndarray,
                   id_keys: np.ndarray, id_attrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """SAMPLE records -> an (n, 16) int64 table: attr, ip, pid, tid, time, cpu, period, chain position, chain
    length, regs abi, regs position, stack position, stack size, stack dynamic size, raw position, raw size
    (-1 where the sample has no such field); and for each, whether it decoded within its record. The event of
    a sample is its IDENTIFIER (or ID) looked up in id_keys (sorted) when there are several events."""
    n = len(offs)
    out = np.full((n, 16), -1, np.int64)
    ok = np.zeros(n, np.bool_)
    bad = 0
    for k in range(n):
        pos = offs[k] + 8
        end = offs[k] + sizes[k]
        attr = 0
        st = sample_types[0]
        if len(sample_types) > 1:
            ident = -1
            if st & IDENTIFIER:
                ident = u64(buf, pos, big) if pos + 8 <= end else -1
            if ident >= 0:
                j = np.searchsorted(id_keys, ident)
                if j < len(id_keys) and id_keys[j] == ident:
                    attr = id_attrs[j]
            st = sample_types[attr]
        out[k, 0] = attr
        good = True
        if st & IDENTIFIER:
            pos += 8
        if st & IP:
            out[k, 1] = u64(buf, pos, big)
            pos += 8
        if st & TID:
            out[k, 2] = u32(buf, pos, big)
            out[k, 3] = u32(buf, pos + 4, big)
            pos += 8
        if st & TIME:
            out[k, 4] = u64(buf, pos, big)
            pos += 8
        if st & ADDR:
            pos += 8
        if st & ID:
            pos += 8
        if st & STREAM_ID:
            pos += 8
        if st & CPU:
            out[k, 5] = u32(buf, pos, big)
            pos += 8
        if st & PERIOD:
            out[k, 6] = u64(buf, pos, big)
            pos += 8
        if st & READ:
            rf = read_formats[attr]
            per = 8 + (8 if rf & FORMAT_ID else 0) + (8 if rf & FORMAT_LOST else 0)
            head = (8 if rf & FORMAT_TOTAL_TIME_ENABLED else 0) + (8 if rf & FORMAT_TOTAL_TIME_RUNNING else 0)
            if rf & FORMAT_GROUP:
                nr = u64(buf, pos, big) if pos + 8 <= end else 0
                if nr < 0 or nr > (end - pos) // 8:
                    good = False
                    nr = 0
                pos += 8 + head + nr * per
            else:
                pos += head + per
        if st & CALLCHAIN and good:
            nr = u64(buf, pos, big) if pos + 8 <= end else -1
            if nr < 0 or nr > (end - pos - 8) // 8:
                good = False
            else:
                out[k, 7] = pos + 8
                out[k, 8] = nr
                pos += 8 + nr * 8
        if st & RAW and good:
            size = u32(buf, pos, big) if pos + 4 <= end else -1
            if size < 0 or size > end - pos - 4:
                good = False
            else:
                out[k, 14] = pos + 4
                out[k, 15] = size
                pos += 4 + size
        if st & BRANCH_STACK and good:
            nr = u64(buf, pos, big) if pos + 8 <= end else -1
            if nr < 0 or nr > (end - pos) // 24:
                good = False
            else:
                pos += 8 + (8 if branch_types[attr] & BRANCH_HW_INDEX else 0) + nr * 24
        if st & REGS_USER and good:
            abi = u64(buf, pos, big) if pos + 8 <= end else -1
            out[k, 9] = abi
            pos += 8
            if abi > 0:
                out[k, 10] = pos
                pos += 8 * _popcount(regs_masks[attr])
        if st & STACK_USER and good:
            size = u64(buf, pos, big) if pos + 8 <= end else -1
            if size < 0 or size > end - pos - 8:
                good = False
            else:
                out[k, 11] = pos + 8
                out[k, 12] = size
                pos += 8 + size
                if size > 0:
                    out[k, 13] = u64(buf, pos, big) if pos + 8 <= end else 0
                    pos += 8
        good = good and pos <= end
        ok[k] = good
        bad += not good
    return out, ok, bad


@numba.njit(cache=True, nogil=True)
def gather_chains(buf: np.ndarray, table: np.ndarray, big: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every sample's call chain (the u64 entries, context markers included) as CSR."""
    n = len(table)
    off = np.zeros(n + 1, np.int64)
    for k in range(n):
        off[k + 1] = off[k] + max(table[k, 8], 0)
    out = np.empty(off[-1], np.int64)
    for k in range(n):
        pos = table[k, 7]
        for j in range(max(table[k, 8], 0)):
            out[off[k] + j] = u64(buf, pos + 8 * j, big)
    return off, out


@numba.njit(cache=True, nogil=True)
def entry_kinds(chain_off: np.ndarray, chain: np.ndarray, sample_kernel: np.ndarray) -> np.ndarray:
    """Per call-chain entry: -1 for a context marker (PERF_CONTEXT_*), 1 for a kernel address, 0 for a user
    one — the sample's own cpumode until a marker says otherwise."""
    out = np.empty(len(chain), np.int8)
    for i in range(len(chain_off) - 1):
        k = sample_kernel[i]
        for j in range(chain_off[i], chain_off[i + 1]):
            v = chain[j]
            if CONTEXT_MAX <= v < 0:
                k = v == CONTEXT_KERNEL
                out[j] = -1
            else:
                out[j] = 1 if k else 0
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _pair_slot(a: int, b: int, bits: int) -> int:
    return slot(np.int64((np.uint64(a) * GOLDEN) ^ np.uint64(b)), bits)


@numba.njit(cache=True, nogil=True)
def dedup_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (a[i], b[i]) pairs numbered in order of first appearance: (each pair's number, the index
    of each number's first pair) — what a Python dict would give, at a few nanoseconds a pair."""
    n = len(a)
    ids = np.empty(n, np.int64)
    firsts = np.empty(16, np.int64)
    bits = 10
    table = np.full(1 << bits, -1, np.int64)  # the number of the pair in each slot (-1: empty)
    count = 0
    for i in range(n):
        mask = len(table) - 1
        h = _pair_slot(a[i], b[i], bits)
        while table[h] >= 0:
            f = firsts[table[h]]
            if a[f] == a[i] and b[f] == b[i]:
                break
            h = (h + 1) & mask
        if table[h] >= 0:
            ids[i] = table[h]
            continue
        if count == len(firsts):
            firsts = doubled(firsts, count)
        firsts[count] = i
        table[h] = count
        ids[i] = count
        count += 1
        if count * 2 > len(table):  # twice the room, every pair placed again
            bits += 1
            table = np.full(1 << bits, -1, np.int64)
            mask = len(table) - 1
            for c in range(count):
                f = firsts[c]
                g = _pair_slot(a[f], b[f], bits)
                while table[g] >= 0:
                    g = (g + 1) & mask
                table[g] = c
    return ids, firsts[:count].copy()
