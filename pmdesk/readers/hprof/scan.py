"""The numba kernel that walks HPROF records in a byte buffer and emits per-object columns.

The kernel never allocates per object: it writes into preallocated output arrays and returns a
status when the caller must act (refill the buffer, skip ahead, flush outputs, grow the class table).
Record layouts follow the hprof binary format as HotSpot and Android write it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pmdesk.readers.hprof.layout import LAYOUTS

# Status codes returned by `scan`.
NEED_DATA = 0   # pos is where to resume; the record at pos is not complete in the buffer
SKIP = 1        # pos is beyond the buffer: continue reading at absolute offset base + pos
FLUSH = 2       # an output array is full: consume outputs, reset counters, call again
GROW = 3        # the class-slot table is half full: grow it, call again
BAD = 4         # malformed input at pos; ctr[C_ERR] says what
BIG_RECORD = 5  # a top-level record longer than the buffer: ctr[C_NEED] bytes are needed

# Error codes in ctr[C_ERR].
E_UNKNOWN_SUBRECORD = 1
E_SUBRECORD_PAST_SEGMENT = 2
E_BAD_PRIMITIVE_TYPE = 3

# Counter slots.
C_OBJ = 0      # objects emitted in this batch
C_ROOT = 1     # roots emitted in this batch
C_SIDE = 2     # side records emitted in this batch
C_SIDEB = 3    # bytes used in side buffer
C_SLOTS = 4    # class slots in use
C_ERR = 5
C_NEED = 6
C_SEG = 7      # bytes left in the current heap dump segment (0: at top level)
C_PREV_ADDR = 8
C_PREV_VALID = 9
C_ERRTAG = 10
C_PREV_SLOT = 11  # slot of the previous object when it was an instance (C_PREV_VALID == 2)
N_CTR = 16

# Array-size hypotheses, one row per layout.LAYOUTS entry: (object header bytes, array length field end,
# relaxed element alignment, reference bytes). Which one the JVM used is decided from address adjacency.
HYPOTHESES = np.array([[lay.object_header_bytes, lay.array_length_end, int(lay.relaxed_array_base),
                        lay.reference_bytes] for lay in LAYOUTS], dtype=np.int64)
N_HYP = HYPOTHESES.shape[0]

_PRIM_SIZE = np.zeros(256, dtype=np.int64)
for _t, _s in ((4, 1), (5, 2), (6, 4), (7, 8), (8, 1), (9, 2), (10, 4), (11, 8)):
    _PRIM_SIZE[_t] = _s

PRIM_KEY_BASE = np.uint64(0xFFFFFFFFFFFFFF00)  # class-table key of a primitive array type (low byte = type)


@njit(cache=True, inline="always")
def _u1(b, p):
    return np.int64(b[p])


@njit(cache=True, inline="always")
def _u2(b, p):
    return (np.int64(b[p]) << 8) | np.int64(b[p + 1])


@njit(cache=True, inline="always")
def _u4(b, p):
    return (np.int64(b[p]) << 24) | (np.int64(b[p + 1]) << 16) | (np.int64(b[p + 2]) << 8) | np.int64(b[p + 3])


@njit(cache=True, inline="always")
def _id(b, p, id_size):
    if id_size == 8:
        v = np.uint64(0)
        for i in range(8):
            v = (v << np.uint64(8)) | np.uint64(b[p + i])
        return v
    return np.uint64(_u4(b, p))


@njit(cache=True, nogil=True)
def slot_of(keys, vals, ctr, key):
    """Slot of class-table `key`, inserting a new slot if absent (open addressing, linear probing)."""
    mask = np.uint64(keys.shape[0] - 1)
    h = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17)
    i = h & mask
    while True:
        k = keys[i]
        if vals[i] < 0:
            keys[i] = key
            s = ctr[C_SLOTS]
            vals[i] = s
            ctr[C_SLOTS] = s + 1
            return s
        if k == key:
            return vals[i]
        i = (i + np.uint64(1)) & mask


@njit(cache=True, nogil=True)
def rehash(keys, vals, new_keys, new_vals):
    mask = np.uint64(new_keys.shape[0] - 1)
    for j in range(keys.shape[0]):
        if vals[j] >= 0:
            key = keys[j]
            h = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17)
            i = h & mask
            while new_vals[i] >= 0:
                i = (i + np.uint64(1)) & mask
            new_keys[i] = key
            new_vals[i] = vals[j]


@njit(cache=True, inline="always")
def _array_bytes(hyp, h, n, es):
    len_end = hyp[h, 1]
    if hyp[h, 2] == 1:
        a = es if es < 8 else 8
    else:
        a = 8
    base = (len_end + a - 1) // a * a
    return (base + n * es + 7) // 8 * 8


@njit(cache=True, nogil=True)
def _see_array(hyp, obj_id, n, es_prim, ctr, prev_sizes, viol, match, slot_bytes, slot, min_gap, gap_seen):
    """Adds the array's size under every hypothesis to its class, then records adjacency evidence.

    es_prim > 0: primitive element size; es_prim == 0: object array (element = reference size).
    """
    _see_next(np.int64(obj_id), ctr, prev_sizes, viol, match, min_gap, gap_seen)
    for h in range(hyp.shape[0]):
        es = es_prim if es_prim > 0 else hyp[h, 3]
        sz = _array_bytes(hyp, h, n, es)
        slot_bytes[h, slot] += sz
        prev_sizes[h] = sz
    ctr[C_PREV_VALID] = 1  # previous object is an array: prev_sizes hold its size per hypothesis


@njit(cache=True, nogil=True)
def _see_next(addr, ctr, prev_sizes, viol, match, min_gap, gap_seen):
    """Evidence from the address gap between the previous object (in dump order) and this one.

    After a full GC the heap is compacted, so most objects start exactly where the previous one
    ends: a gap smaller than a hypothesised size refutes that hypothesis, an equal one supports it.
    For an instance the smallest gap seen bounds its class's real instance size.
    """
    prev = ctr[C_PREV_VALID]
    gap = addr - ctr[C_PREV_ADDR]
    if prev != 0 and gap > 0 and gap < 65536:
        if prev == 1:
            for h in range(prev_sizes.shape[0]):
                if gap < prev_sizes[h]:
                    viol[h] += 1
                elif gap == prev_sizes[h]:
                    match[h] += 1
        else:
            sl = ctr[C_PREV_SLOT]
            if gap < min_gap[sl]:
                min_gap[sl] = gap
            gap_seen[sl] += 1
    ctr[C_PREV_ADDR] = addr


@njit(cache=True, inline="always")
def _fail(ctr, code, tag):
    """Record a malformed sub-record (the caller returns BAD)."""
    ctr[C_ERR] = code
    ctr[C_ERRTAG] = tag
    return BAD


@njit(cache=True, inline="always")
def _emit(obj_id, obj_off, obj_slot, obj_len, slot_count, ctr, oid, offset, slot, length):
    """Append one object to the output columns and count it for its class slot."""
    k = ctr[C_OBJ]
    obj_id[k] = oid
    obj_off[k] = offset
    obj_slot[k] = slot
    obj_len[k] = length
    ctr[C_OBJ] = k + 1
    slot_count[slot] += 1


@njit(cache=True, nogil=True)
def scan(buf, n, pos, base, id_size, eof, ctr, hyp,
         keys, vals, slot_count, slot_bytes, slot_kind,
         obj_id, obj_off, obj_slot, obj_len,
         root_kind, root_id, root_a, root_b,
         side_buf, side_tag, side_start, side_len, side_slot, side_off,
         sub_counts, top_counts, top_bytes, prev_sizes, viol, match, min_gap, gap_seen):
    """Scan records from buf[pos:n] (absolute file offset of buf[0] is `base`). Returns (status, pos)."""
    isz = id_size
    n_obj_cap = obj_id.shape[0]
    n_root_cap = root_id.shape[0]
    n_side_cap = side_tag.shape[0]
    side_cap = side_buf.shape[0]
    slot_cap = keys.shape[0] // 2
    while True:
        seg = ctr[C_SEG]
        if seg == 0:
            # ---- top-level record: u1 tag, u4 time, u4 length, body
            if pos + 9 > n:
                return NEED_DATA, pos
            tag = _u1(buf, pos)
            length = _u4(buf, pos + 5)
            top_counts[tag] += 1
            top_bytes[tag] += length
            if tag == 0x0C or tag == 0x1C:
                ctr[C_SEG] = length
                ctr[C_PREV_VALID] = 0
                pos += 9
                continue
            if tag == 0x2C:
                pos += 9 + length
                continue
            if pos + 9 + length > n:
                top_counts[tag] -= 1
                top_bytes[tag] -= length
                if eof:
                    return NEED_DATA, pos
                if 9 + length > buf.shape[0]:
                    ctr[C_NEED] = 9 + length
                    return BIG_RECORD, pos
                return NEED_DATA, pos
            if ctr[C_SIDE] >= n_side_cap or ctr[C_SIDEB] + length > side_cap:
                top_counts[tag] -= 1
                top_bytes[tag] -= length
                if ctr[C_SIDE] == 0:  # a single record bigger than the side buffer
                    ctr[C_NEED] = length
                    return BIG_RECORD, pos
                return FLUSH, pos
            k = ctr[C_SIDE]
            s = ctr[C_SIDEB]
            side_buf[s:s + length] = buf[pos + 9:pos + 9 + length]
            side_tag[k] = tag
            side_start[k] = s
            side_len[k] = length
            side_slot[k] = -1
            side_off[k] = base + pos
            ctr[C_SIDE] = k + 1
            ctr[C_SIDEB] = s + length
            pos += 9 + length
            continue

        # ---- heap dump sub-record
        if pos + 1 + isz > n:
            return NEED_DATA, pos
        if ctr[C_OBJ] >= n_obj_cap or ctr[C_ROOT] >= n_root_cap:
            return FLUSH, pos
        st = _u1(buf, pos)
        size = 0
        if st == 0x21:  # INSTANCE_DUMP: id, u4 trace, id class, u4 nbytes, bytes
            hdr = 1 + isz + 4 + isz + 4
            if pos + hdr > n:
                return NEED_DATA, pos
            nbytes = _u4(buf, pos + 1 + isz + 4 + isz)
            size = hdr + nbytes
            if size > seg:
                return _fail(ctr, E_SUBRECORD_PAST_SEGMENT, st), pos
            if ctr[C_SLOTS] >= slot_cap:
                return GROW, pos
            cid = _id(buf, pos + 1 + isz + 4, isz)
            sl = slot_of(keys, vals, ctr, cid)
            oid = _id(buf, pos + 1, isz)
            _emit(obj_id, obj_off, obj_slot, obj_len, slot_count, ctr, oid, base + pos, sl, -1)
            _see_next(np.int64(oid), ctr, prev_sizes, viol, match, min_gap, gap_seen)
            ctr[C_PREV_VALID] = 2
            ctr[C_PREV_SLOT] = sl
        elif st == 0x22:  # OBJ_ARRAY_DUMP: id, u4 trace, u4 n, id class, ids
            hdr = 1 + isz + 4 + 4 + isz
            if pos + hdr > n:
                return NEED_DATA, pos
            cnt = _u4(buf, pos + 1 + isz + 4)
            size = hdr + cnt * isz
            if size > seg:
                return _fail(ctr, E_SUBRECORD_PAST_SEGMENT, st), pos
            if ctr[C_SLOTS] >= slot_cap:
                return GROW, pos
            cid = _id(buf, pos + 1 + isz + 8, isz)
            sl = slot_of(keys, vals, ctr, cid)
            slot_kind[sl] = 1
            oid = _id(buf, pos + 1, isz)
            _emit(obj_id, obj_off, obj_slot, obj_len, slot_count, ctr, oid, base + pos, sl, cnt)
            _see_array(hyp, oid, cnt, 0, ctr, prev_sizes, viol, match, slot_bytes, sl, min_gap, gap_seen)
        elif st == 0x23 or st == 0xC3:  # PRIM_ARRAY_DUMP (0xC3: Android, without data)
            hdr = 1 + isz + 4 + 4 + 1
            if pos + hdr > n:
                return NEED_DATA, pos
            cnt = _u4(buf, pos + 1 + isz + 4)
            et = _u1(buf, pos + 1 + isz + 8)
            es = _PRIM_SIZE[et]
            if es == 0:
                return _fail(ctr, E_BAD_PRIMITIVE_TYPE, st), pos
            size = hdr + (cnt * es if st == 0x23 else 0)
            if size > seg:
                return _fail(ctr, E_SUBRECORD_PAST_SEGMENT, st), pos
            if ctr[C_SLOTS] >= slot_cap:
                return GROW, pos
            sl = slot_of(keys, vals, ctr, PRIM_KEY_BASE | np.uint64(et))
            slot_kind[sl] = 2 + et
            oid = _id(buf, pos + 1, isz)
            _emit(obj_id, obj_off, obj_slot, obj_len, slot_count, ctr, oid, base + pos, sl, cnt)
            _see_array(hyp, oid, cnt, es, ctr, prev_sizes, viol, match, slot_bytes, sl, min_gap, gap_seen)
        elif st == 0x20:  # CLASS_DUMP: variable length, parsed to find its end, copied to the side buffer
            p = pos + 1 + 7 * isz + 8
            if p + 2 > n:
                return NEED_DATA, pos
            ok = True
            ncp = _u2(buf, p)
            p += 2
            for _ in range(ncp):
                if p + 3 > n:
                    ok = False
                    break
                t = _u1(buf, p + 2)
                p += 3 + (isz if t == 2 else _PRIM_SIZE[t])
                if t != 2 and _PRIM_SIZE[t] == 0:
                    return _fail(ctr, E_BAD_PRIMITIVE_TYPE, st), pos
            if ok and p + 2 <= n:
                nst = _u2(buf, p)
                p += 2
                for _ in range(nst):
                    if p + isz + 1 > n:
                        ok = False
                        break
                    t = _u1(buf, p + isz)
                    if t != 2 and _PRIM_SIZE[t] == 0:
                        return _fail(ctr, E_BAD_PRIMITIVE_TYPE, st), pos
                    p += isz + 1 + (isz if t == 2 else _PRIM_SIZE[t])
            else:
                ok = False
            if ok and p + 2 <= n:
                nif = _u2(buf, p)
                p += 2 + nif * (isz + 1)
            else:
                ok = False
            if not ok or p > n:
                if eof:
                    return NEED_DATA, pos
                if p - pos > buf.shape[0] // 2:
                    ctr[C_NEED] = 2 * (p - pos)
                    return BIG_RECORD, pos
                return NEED_DATA, pos
            size = p - pos
            if size > seg:
                return _fail(ctr, E_SUBRECORD_PAST_SEGMENT, st), pos
            if ctr[C_SIDE] >= n_side_cap or ctr[C_SIDEB] + size > side_cap:
                if ctr[C_SIDE] == 0:
                    ctr[C_NEED] = size
                    return BIG_RECORD, pos
                return FLUSH, pos
            if ctr[C_SLOTS] >= slot_cap:
                return GROW, pos
            sl = slot_of(keys, vals, ctr, _id(buf, pos + 1, isz))
            k = ctr[C_SIDE]
            s = ctr[C_SIDEB]
            side_buf[s:s + size] = buf[pos:pos + size]
            side_tag[k] = st
            side_start[k] = s
            side_len[k] = size
            side_slot[k] = sl
            side_off[k] = base + pos
            ctr[C_SIDE] = k + 1
            ctr[C_SIDEB] = s + size
        else:
            # roots and Android extras: fixed layouts
            a = 0
            b = 0
            if st == 0xFF or st == 0x05 or st == 0x07 or st == 0x89 or st == 0x8A or st == 0x8B \
                    or st == 0x8C or st == 0x8D or st == 0x90:
                size = 1 + isz
            elif st == 0x01:  # JNI global: id, id (global ref id)
                size = 1 + 2 * isz
            elif st == 0x02 or st == 0x03 or st == 0x08 or st == 0x8E:  # id, u4, u4
                size = 1 + isz + 8
                if pos + size <= n:
                    a = _u4(buf, pos + 1 + isz)
                    b = _u4(buf, pos + 1 + isz + 4)
            elif st == 0x04 or st == 0x06:  # id, u4 thread serial
                size = 1 + isz + 4
                if pos + size <= n:
                    a = _u4(buf, pos + 1 + isz)
            elif st == 0xFE:  # HEAP_DUMP_INFO: u4 heap type, id heap name
                size = 1 + 4 + isz
            else:
                return _fail(ctr, E_UNKNOWN_SUBRECORD, st), pos
            if pos + size > n:
                return NEED_DATA, pos
            if size > seg:
                return _fail(ctr, E_SUBRECORD_PAST_SEGMENT, st), pos
            if st != 0xFE:
                k = ctr[C_ROOT]
                root_kind[k] = st
                root_id[k] = _id(buf, pos + 1, isz)
                root_a[k] = a
                root_b[k] = b
                ctr[C_ROOT] = k + 1
        sub_counts[st] += 1
        ctr[C_SEG] = seg - size
        pos += size
        if pos > n:
            return SKIP, pos
