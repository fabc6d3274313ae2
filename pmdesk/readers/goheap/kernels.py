"""The numba kernels over a Go heap dump's bytes: one walk over the records (objects, allocation samples
and the offsets of every other record), and the pointer fields of objects, frames and segments resolved to
the objects they point into. Layouts: records.py (after the runtime's heapdump.go)."""

from __future__ import annotations

import numpy as np
from numba import njit

# walk() statuses
W_DONE = 0       # reached the EOF record: ctr[K_POS] is just past it
W_MORE = 1       # stopped at `stop` to report progress: call again from ctr[K_POS]
W_CUT = 2        # a record runs past the end of the bytes (ctr[K_POS]: where it starts)
W_BAD_TAG = 3    # an unknown record tag at ctr[K_POS]
W_BAD_FIELD = 4  # an unknown field kind in a field list of the record at ctr[K_POS]

# walk() counters
K_POS, K_OBJ, K_SAMPLE, K_OTHER = range(4)
N_K = 8

_FIXED = np.zeros(18, np.int64)  # records of varints only: how many (memstats: 24 + 256 pause times + NumGC)
_FIXED[7] = 5    # finalizer
_FIXED[8] = 2    # itab
_FIXED[9] = 3    # OS thread
_FIXED[10] = 24 + 256 + 1
_FIXED[11] = 5   # queued finalizer
_FIXED[14] = 7   # defer
_FIXED[15] = 6   # panic


@njit(cache=True, inline="always")
def _uvar(b, p, end):
    """(value, next position); next = -1 when the varint runs past `end` or over ten bytes."""
    v = np.uint64(0)
    shift = 0
    while p < end and shift < 70:
        x = b[p]
        p += 1
        v |= np.uint64(x & 0x7F) << np.uint64(shift)
        if x < 0x80:
            return v, p
        shift += 7
    return v, -1


@njit(cache=True, inline="always")
def _skip_bytes(b, p, end):
    """Past a length-prefixed string or memory range: (start of its bytes, length, next); next -1 if cut."""
    n, p = _uvar(b, p, end)
    if p < 0 or n > np.uint64(end - p):
        return 0, 0, -1
    return p, np.int64(n), p + np.int64(n)


@njit(cache=True, inline="always")
def _skip_fields(b, p, end):
    """Past a field list: (pointer fields, next); next -1 when cut, -2 on an unknown kind."""
    n = 0
    while True:
        kind, p = _uvar(b, p, end)
        if p < 0:
            return n, -1
        if kind == 0:
            return n, p
        if kind > 3:
            return n, -2
        _off, p = _uvar(b, p, end)
        if p < 0:
            return n, -1
        n += 1


@njit(cache=True, nogil=True)
def walk(b, stop, fill, obj_addr, obj_size, obj_content, obj_fields, samp_ptr, samp_bucket, other_tag,
         other_off, ctr):
    """Walks records from ctr[K_POS] until the EOF record or past `stop`. With `fill`, each object's address,
    size, contents offset and field-list offset, each allocation sample's (address, bucket) and every other
    record's (tag, offset) go to the arrays at the counters; without it only the counters move (a first
    pass to size the arrays)."""
    end = b.shape[0]
    p = ctr[K_POS]
    while p < end:
        if p >= stop:
            ctr[K_POS] = p
            return W_MORE
        start = p
        tag, p = _uvar(b, p, end)
        if p < 0:
            ctr[K_POS] = start
            return W_CUT
        if tag == 0:
            ctr[K_POS] = p
            return W_DONE
        if tag == 1:  # object: address, contents, fields
            addr, p = _uvar(b, p, end)
            if p < 0:
                ctr[K_POS] = start
                return W_CUT
            c0, n, p = _skip_bytes(b, p, end)
            if p < 0:
                ctr[K_POS] = start
                return W_CUT
            f0 = p
            _nf, p = _skip_fields(b, p, end)
            if p < 0:
                ctr[K_POS] = start
                return W_CUT if p == -1 else W_BAD_FIELD
            k = ctr[K_OBJ]
            if fill:
                obj_addr[k] = addr
                obj_size[k] = n
                obj_content[k] = c0
                obj_fields[k] = f0
            ctr[K_OBJ] = k + 1
            continue
        if tag == 17:  # allocation sample: object address, profile bucket
            a, p = _uvar(b, p, end)
            if p >= 0:
                bk, p = _uvar(b, p, end)
            if p < 0:
                ctr[K_POS] = start
                return W_CUT
            k = ctr[K_SAMPLE]
            if fill:
                samp_ptr[k] = a
                samp_bucket[k] = bk
            ctr[K_SAMPLE] = k + 1
            continue
        if tag >= 18:
            ctr[K_POS] = start
            return W_BAD_TAG
        if _FIXED[tag] > 0:
            for _ in range(_FIXED[tag]):
                _v, p = _uvar(b, p, end)
                if p < 0:
                    break
        elif tag == 2:  # other root: description, pointer
            _s, _n, p = _skip_bytes(b, p, end)
            if p >= 0:
                _v, p = _uvar(b, p, end)
        elif tag == 3:  # type: address, size, name, indirect flag
            for _ in range(2):
                _v, p = _uvar(b, p, end)
                if p < 0:
                    break
            if p >= 0:
                _s, _n, p = _skip_bytes(b, p, end)
            if p >= 0:
                _v, p = _uvar(b, p, end)
        elif tag == 4:  # goroutine: 9 numbers, wait reason, 4 numbers
            for _ in range(8):
                _v, p = _uvar(b, p, end)
                if p < 0:
                    break
            if p >= 0:
                _s, _n, p = _skip_bytes(b, p, end)
            for _ in range(4):
                if p < 0:
                    break
                _v, p = _uvar(b, p, end)
        elif tag == 5:  # stack frame: sp, depth, child sp, contents, entry, pc, continuation pc, name, fields
            for _ in range(3):
                _v, p = _uvar(b, p, end)
                if p < 0:
                    break
            if p >= 0:
                _s, _n, p = _skip_bytes(b, p, end)
            for _ in range(3):
                if p < 0:
                    break
                _v, p = _uvar(b, p, end)
            if p >= 0:
                _s, _n, p = _skip_bytes(b, p, end)
            if p >= 0:
                _nf, p = _skip_fields(b, p, end)
        elif tag == 6:  # dump params: big-endian, pointer size, arena start and end, arch, version, ncpu
            for _ in range(4):
                _v, p = _uvar(b, p, end)
                if p < 0:
                    break
            for _ in range(2):
                if p < 0:
                    break
                _s, _n, p = _skip_bytes(b, p, end)
            if p >= 0:
                _v, p = _uvar(b, p, end)
        elif tag == 12 or tag == 13:  # data / bss segment: address, contents, fields
            _v, p = _uvar(b, p, end)
            if p >= 0:
                _s, _n, p = _skip_bytes(b, p, end)
            if p >= 0:
                _nf, p = _skip_fields(b, p, end)
        elif tag == 16:  # memory profile bucket: bucket, size, frames (function, file, line), allocs, frees
            _v, p = _uvar(b, p, end)
            if p >= 0:
                _v, p = _uvar(b, p, end)
            nstk = np.uint64(0)
            if p >= 0:
                nstk, p = _uvar(b, p, end)
            if p >= 0 and nstk > np.uint64(end - p):
                p = -1
            if p >= 0:
                for _ in range(np.int64(nstk)):
                    _s, _n, p = _skip_bytes(b, p, end)
                    if p < 0:
                        break
                    _s, _n, p = _skip_bytes(b, p, end)
                    if p < 0:
                        break
                    _v, p = _uvar(b, p, end)
                    if p < 0:
                        break
            for _ in range(2):
                if p < 0:
                    break
                _v, p = _uvar(b, p, end)
        if p < 0:
            ctr[K_POS] = start
            return W_CUT if p == -1 else W_BAD_FIELD
        k = ctr[K_OTHER]
        if fill:
            other_tag[k] = tag
            other_off[k] = start
        ctr[K_OTHER] = k + 1
    ctr[K_POS] = p
    return W_CUT


@njit(cache=True, nogil=True)
def count_fields(b, fields):
    """Pointer fields in the field lists at these offsets (lists the walk checked whole)."""
    n = 0
    for k in range(fields.shape[0]):
        nf, _p = _skip_fields(b, fields[k], b.shape[0])
        n += nf
    return n


@njit(cache=True, nogil=True)
def owner_of(addrs_sorted, ends_sorted, order, v):
    """The object whose [address, address + size) holds `v` (its dump index), or -1."""
    lo = 0
    hi = addrs_sorted.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if addrs_sorted[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    i = lo - 1
    if i >= 0 and v < ends_sorted[i]:
        return order[i]
    return -1


@njit(cache=True, nogil=True)
def pointer_fields(b, content, size, fields, obj_addr, addrs_sorted, ends_sorted, order, itab_sorted, itab_type,
                   type_sorted, type_idx, out_start, out, obj_type, counts):
    """For each owner k (an object, frame or segment with its contents at content[k], size[k] bytes, its
    field list at fields[k]; obj_addr: each object's address in dump order): the objects its pointer fields
    point into, as CSR (out_start, out; -1 never stored). A pointer whose previous word is an itab's or a
    type's address is an interface's data word: the object it points at gets that type's index in obj_type
    (when it has none yet). counts[0]: pointers to nothing in the heap (nil, stacks, static data),
    counts[1]: fields past their owner's contents."""
    n_out = 0
    end = b.shape[0]
    for k in range(content.shape[0]):
        out_start[k] = n_out
        p = fields[k]
        c0 = content[k]
        sz = size[k]
        while True:
            kind, p = _uvar(b, p, end)
            if p < 0 or kind == 0:
                break
            off, p = _uvar(b, p, end)
            if p < 0:
                break
            offs = np.int64(off)
            if kind != 1:  # an interface's two words: the data word is the pointer
                offs += 8
            if offs < 0 or offs + 8 > sz:
                counts[1] += 1
                continue
            q = c0 + offs
            v = np.uint64(b[q]) | (np.uint64(b[q + 1]) << np.uint64(8)) | (np.uint64(b[q + 2]) << np.uint64(16)) \
                | (np.uint64(b[q + 3]) << np.uint64(24)) | (np.uint64(b[q + 4]) << np.uint64(32)) \
                | (np.uint64(b[q + 5]) << np.uint64(40)) | (np.uint64(b[q + 6]) << np.uint64(48)) \
                | (np.uint64(b[q + 7]) << np.uint64(56))
            t = owner_of(addrs_sorted, ends_sorted, order, v)
            if t < 0:
                counts[0] += 1
                continue
            out[n_out] = t
            n_out += 1
            if offs >= 8 and obj_type[t] < 0 and v == obj_addr[t]:
                q -= 8
                w = np.uint64(b[q]) | (np.uint64(b[q + 1]) << np.uint64(8)) \
                    | (np.uint64(b[q + 2]) << np.uint64(16)) | (np.uint64(b[q + 3]) << np.uint64(24)) \
                    | (np.uint64(b[q + 4]) << np.uint64(32)) | (np.uint64(b[q + 5]) << np.uint64(40)) \
                    | (np.uint64(b[q + 6]) << np.uint64(48)) | (np.uint64(b[q + 7]) << np.uint64(56))
                i = np.searchsorted(itab_sorted, w)
                if i < itab_sorted.shape[0] and itab_sorted[i] == w:
                    obj_type[t] = itab_type[i]
                else:
                    i = np.searchsorted(type_sorted, w)
                    if i < type_sorted.shape[0] and type_sorted[i] == w:
                        obj_type[t] = type_idx[i]
    out_start[content.shape[0]] = n_out
    return n_out
