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


@njit(cache=True, inline="always")
def _word(b, q):
    """The little-endian 64-bit word at byte q."""
    return np.uint64(b[q]) | (np.uint64(b[q + 1]) << np.uint64(8)) | (np.uint64(b[q + 2]) << np.uint64(16)) \
        | (np.uint64(b[q + 3]) << np.uint64(24)) | (np.uint64(b[q + 4]) << np.uint64(32)) \
        | (np.uint64(b[q + 5]) << np.uint64(40)) | (np.uint64(b[q + 6]) << np.uint64(48)) \
        | (np.uint64(b[q + 7]) << np.uint64(56))


@njit(cache=True, nogil=True)
def owner_of(addrs, end_order, base, shift, page_lo, v):
    """The object whose [address, address + size) holds `v` (its dump index), or -1. Objects are sorted by
    address (addrs; end_order: each one's end address and dump index side by side, one cache line);
    page_lo[p] is the last object starting at or before page p's start (pages of 1 << shift bytes from
    base), so the search stays within one page's few objects."""
    if v < base:
        return -1
    p = (v - base) >> np.uint64(shift)
    if p >= np.uint64(page_lo.shape[0] - 1):
        return -1
    lo = max(page_lo[p], 0)
    hi = page_lo[p + 1] + 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if addrs[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    i = lo - 1
    if i >= 0 and v < np.uint64(end_order[i, 0]):
        return end_order[i, 1]
    return -1


@njit(cache=True, nogil=True)
def field_counts(b, fields, k0, k1, out):
    """out[k]: the pointer fields in owner k's field list (lists the walk checked whole), for k0..k1-1."""
    for k in range(k0, k1):
        out[k], _p = _skip_fields(b, fields[k], b.shape[0])


@njit(cache=True, nogil=True)
def pointer_fields(b, content, size, fields, k0, k1, addrs, end_order, base, shift, page_lo, slot_start, out,
                   counts):
    """For owners k0..k1-1 (an object, frame or segment with its contents at content[k], size[k] bytes, its
    field list at fields[k]): the object each pointer field points into, at out[slot_start[k] + j] for its
    j-th field (HOLE, -1, when it points into none). Owners write only their own slots, so two threads may
    fill two ranges at once. counts[0]: pointers to nothing in the heap (nil, stacks, static data),
    counts[1]: fields past their owner's contents."""
    end = b.shape[0]
    for k in range(k0, k1):
        p = fields[k]
        c0 = content[k]
        sz = size[k]
        e = slot_start[k]
        stop = slot_start[k + 1]
        while e < stop:
            kind, p = _uvar(b, p, end)
            if p < 0 or kind == 0:
                break
            off, p = _uvar(b, p, end)
            if p < 0:
                break
            offs = np.int64(off)
            if kind != 1:  # an interface's two words: the data word is the pointer
                offs += 8
            t = -1
            if offs < 0 or offs + 8 > sz:
                counts[1] += 1
            else:
                t = owner_of(addrs, end_order, base, shift, page_lo, _word(b, c0 + offs))
                if t < 0:
                    counts[0] += 1
            out[e] = t
            e += 1
        while e < stop:
            out[e] = -1
            e += 1


@njit(cache=True, nogil=True)
def interface_types(b, content, size, fields, k0, k1, obj_addr, addrs, end_order, base, shift, page_lo,
                    itab_sorted, itab_type, type_sorted, type_idx, obj_type):
    """Types from interface values (owners k0..k1-1 as for pointer_fields): a pointer field whose previous
    word is an itab's (or a type's) address is an interface's data word, and the object it points at (its
    start) gets that type's index in obj_type, when it has none yet. Only such pointers are resolved, so
    this pass costs little more than reading the field lists."""
    end = b.shape[0]
    n_itab = itab_sorted.shape[0]
    n_type = type_sorted.shape[0]
    if n_itab == 0 and n_type == 0:
        return
    for k in range(k0, k1):
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
            offs = np.int64(off) + (8 if kind != 1 else 0)
            if offs < 8 or offs + 8 > sz:
                continue
            w = _word(b, c0 + offs - 8)
            ty = -1
            i = np.searchsorted(itab_sorted, w) if n_itab else 0
            if i < n_itab and itab_sorted[i] == w:
                ty = itab_type[i]
            elif n_type:
                i = np.searchsorted(type_sorted, w)
                if i < n_type and type_sorted[i] == w:
                    ty = type_idx[i]
            if ty < 0:
                continue
            v = _word(b, c0 + offs)
            t = owner_of(addrs, end_order, base, shift, page_lo, v)
            if t >= 0 and obj_type[t] < 0 and v == obj_addr[t]:
                obj_type[t] = ty


@njit(cache=True, nogil=True)
def factorize(keys, table, codes, uniques):
    """Numbers each distinct key in first-seen order: codes[i] = its key's number, uniques[number] = key.
    `table` (a power of two of int64 slots, -1 empty) holds the numbers; returns how many distinct keys, or -1
    when the table is half full (call again with a bigger one)."""
    mask = table.shape[0] - 1
    n = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        h = (np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
        s = np.int64(h) & mask
        while True:
            j = table[s]
            if j < 0:
                if 2 * (n + 1) > table.shape[0] or n >= uniques.shape[0]:
                    return -1
                table[s] = n
                uniques[n] = k
                codes[i] = n
                n += 1
                break
            if uniques[j] == k:
                codes[i] = j
                break
            s = (s + 1) & mask
    return n


@njit(cache=True, nogil=True)
def dwarf_types(b, content, size, obj_addr, addrs, end_order, base, shift, page_lo, lay_start, lay_off,
                lay_target, lay_array, type_size, frontier, k0, k1, obj_dtype, obj_darray, found, n_found):
    """One level of typing objects by the DWARF layouts of the values pointing at them: for the typed
    objects frontier[k0:k1] (in dump order, so their contents are read in file order), each pointer word
    at its type's layout offsets (for each element of an array of it) that points at the start of an
    object not yet typed types that object by the layout's target (whether it is an array of it too) and
    appends it to `found` (from n_found). lay_*: CSR over type ids. Returns the new n_found."""
    for j in range(k0, k1):
        o = frontier[j]
        t = obj_dtype[o]
        each = type_size[t]
        if each <= 0 or lay_start[t] == lay_start[t + 1]:
            continue
        elems = size[o] // each if obj_darray[o] else 1
        for e in range(elems):
            for k in range(lay_start[t], lay_start[t + 1]):
                off = e * each + lay_off[k]
                if off + 8 > size[o]:
                    break
                v = _word(b, content[o] + off)
                if v == 0:
                    continue
                dst = owner_of(addrs, end_order, base, shift, page_lo, v)
                if dst < 0 or obj_addr[dst] != v or obj_dtype[dst] != -1:
                    continue
                obj_dtype[dst] = lay_target[k]
                obj_darray[dst] = lay_array[k]
                found[n_found] = dst
                n_found += 1
    return n_found
