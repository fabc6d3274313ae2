"""numba kernels that decode profile.proto's bulk messages — samples, locations, functions — straight from
the bytes (the protocol-buffer wire format, protobuf.dev/programming-guides/encoding; field numbers from
github.com/google/pprof/proto/profile.proto). Every length is checked against its enclosing message: a
damaged record sets an error code and the offset, never reads past the end."""

from __future__ import annotations

import numba
import numpy as np

OK, BAD_VARINT, PAST_END, BAD_WIRE = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True, inline="always")
def _varint(buf: np.ndarray, pos: int, end: int) -> tuple[int, int]:
    """(value, next position); next position -1 when the varint is cut or longer than 10 bytes."""
    result = np.uint64(0)
    shift = 0
    for i in range(10):
        if pos + i >= end:
            return 0, -1
        b = buf[pos + i]
        result |= np.uint64(b & 0x7F) << np.uint64(shift)
        if b < 0x80:
            return np.int64(result), pos + i + 1
        shift += 7
    return 0, -1


@numba.njit(cache=True, nogil=True)
def _skip(buf: np.ndarray, pos: int, end: int, wire: int) -> int:
    """The position after a value of this wire type (-1 when damaged)."""
    if wire == 0:
        return _varint(buf, pos, end)[1]
    if wire == 1:
        return pos + 8 if pos + 8 <= end else -1
    if wire == 5:
        return pos + 4 if pos + 4 <= end else -1
    if wire == 2:
        n, p = _varint(buf, pos, end)
        if p < 0 or n < 0 or n > end - p:
            return -1
        return p + n
    return -1


@numba.njit(cache=True, nogil=True)
def top_level(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Profile's records: (field number, start, end) — for LEN records the payload, for varints the value
    in start — and (error code, offset)."""
    end = len(buf)
    cap = 1 << 16
    num = np.empty(cap, np.int8)
    st = np.empty(cap, np.int64)
    en = np.empty(cap, np.int64)
    n = 0
    pos = 0
    while pos < end:
        key, p = _varint(buf, pos, end)
        if p < 0:
            return num[:n], st[:n], en[:n], BAD_VARINT, pos
        field, wire = key >> 3, key & 7
        if n == cap:
            cap *= 2
            num2 = np.empty(cap, np.int8)
            st2 = np.empty(cap, np.int64)
            en2 = np.empty(cap, np.int64)
            num2[:n] = num[:n]
            st2[:n] = st[:n]
            en2[:n] = en[:n]
            num, st, en = num2, st2, en2
        if wire == 2:
            ln, q = _varint(buf, p, end)
            if q < 0 or ln < 0 or ln > end - q:
                return num[:n], st[:n], en[:n], PAST_END, pos
            num[n] = min(field, 127)
            st[n] = q
            en[n] = q + ln
            pos = q + ln
        elif wire == 0:
            v, q = _varint(buf, p, end)
            if q < 0:
                return num[:n], st[:n], en[:n], BAD_VARINT, pos
            num[n] = min(field, 127)
            st[n] = v
            en[n] = -1
            pos = q
        else:
            q = _skip(buf, p, end, wire)
            if q < 0:
                return num[:n], st[:n], en[:n], BAD_WIRE, pos
            num[n] = -1
            st[n] = p
            en[n] = q
            pos = q
        n += 1
    return num[:n], st[:n], en[:n], OK, 0


@numba.njit(cache=True, nogil=True)
def _repeated(buf: np.ndarray, pos: int, end: int, wire: int, out: np.ndarray, k: int) -> tuple[int, int]:
    """Appends a repeated varint record (packed or one value) to out[k:]; (new k, next position)."""
    if wire == 0:
        v, p = _varint(buf, pos, end)
        if p < 0:
            return k, -1
        out[k] = v
        return k + 1, p
    ln, p = _varint(buf, pos, end)
    if p < 0 or ln < 0 or ln > end - p:
        return k, -1
    stop = p + ln
    while p < stop:
        v, p = _varint(buf, p, stop)
        if p < 0:
            return k, -1
        out[k] = v
        k += 1
    return k, stop


@numba.njit(cache=True, nogil=True)
def _sparse_index(lid: int, sorted_ids: np.ndarray, order: np.ndarray) -> int:
    """The index of the location with id `lid` by binary search of the sorted ids (-1 when there is none);
    not inlined, so the dense case's loop stays small."""
    j = np.searchsorted(sorted_ids, lid)
    return order[j] if j < len(sorted_ids) and sorted_ids[j] == lid else -1


@numba.njit(cache=True, nogil=True)
def _fill(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, i: int, dense: np.ndarray, sorted_ids: np.ndarray,
          order: np.ndarray, item_off: np.ndarray, items: np.ndarray, widest: int, out: np.ndarray, k: int,
          offsets: np.ndarray, values: np.ndarray, labels: np.ndarray, nl: int, vals: np.ndarray
          ) -> tuple[int, int, int, int, int, int]:
    """samples()'s work from sample i on, into arrays it never replaces: it stops before a sample that might
    not fit in out or labels. (next sample, k, labels, ids naming no location, error, offset)."""
    n = len(starts)
    n_types = len(values)
    missing = 0
    while i < n:
        pos, end = starts[i], ends[i]
        if k + (end - pos) * widest > len(out) or nl + end - pos > len(labels) or end - pos + 1 > len(vals):
            return i, k, nl, missing, OK, 0
        nv = 0
        while pos < end:
            key, pos = _varint(buf, pos, end)
            if pos < 0:
                return i, k, nl, missing, BAD_VARINT, starts[i]
            field, wire = key >> 3, key & 7
            if field == 1 and (wire == 0 or wire == 2):
                stop = end
                if wire == 2:
                    ln, pos = _varint(buf, pos, end)
                    if pos < 0 or ln < 0 or ln > end - pos:
                        return i, k, nl, missing, PAST_END, starts[i]
                    stop = pos + ln
                while pos < stop:
                    lid, pos = _varint(buf, pos, stop)
                    if pos < 0:
                        return i, k, nl, missing, BAD_VARINT, starts[i]
                    li = dense[lid] if 0 <= lid < len(dense) else _sparse_index(lid, sorted_ids, order)
                    if li < 0:
                        missing += 1
                    else:
                        for j in range(item_off[li], item_off[li + 1]):
                            out[k] = items[j]
                            k += 1
                    if wire == 0:
                        break
            elif field == 2 and (wire == 0 or wire == 2):  # packed, or one record per value (Go writes those)
                nv, pos = _repeated(buf, pos, end, wire, vals, nv)
            elif field == 3 and wire == 2:
                ln, p = _varint(buf, pos, end)
                if p < 0 or ln < 0 or ln > end - p:
                    return i, k, nl, missing, PAST_END, pos
                labels[nl, 0] = i
                labels[nl, 1] = labels[nl, 2] = labels[nl, 3] = 0
                q, stop = p, p + ln
                while q < stop:
                    lk, q = _varint(buf, q, stop)
                    if q < 0:
                        break
                    if lk >> 3 >= 1 and lk >> 3 <= 3 and lk & 7 == 0:
                        v, q = _varint(buf, q, stop)
                        if q < 0:
                            break
                        labels[nl, lk >> 3] = v
                    else:
                        q = _skip(buf, q, stop, lk & 7)
                        if q < 0:
                            break
                nl += 1
                pos = stop
            else:
                pos = _skip(buf, pos, end, wire)
            if pos < 0:
                return i, k, nl, missing, PAST_END, starts[i]
        for j in range(min(nv, n_types)):
            values[j, i] = vals[j]
        offsets[i + 1] = k
        i += 1
    return i, k, nl, missing, OK, 0


@numba.njit(cache=True, nogil=True)
def samples(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_types: int, dense: np.ndarray,
            sorted_ids: np.ndarray, order: np.ndarray, item_off: np.ndarray, items: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int, int]:
    """Sample messages -> (offsets, each sample's location ids leaf first each replaced by its location's
    items (items[item_off[li]:item_off[li + 1]] — its frames, or just its index), values (n_types, n),
    label rows (sample, key, str, num) as an (m, 4) array, how many ids name no location (skipped), error
    code, offset). A location is found by id through `dense` (a table by id) when it is given, else by
    binary search of the sorted ids. A value missing is 0."""
    n = len(starts)
    widest = 1
    for li in range(len(item_off) - 1):
        widest = max(widest, item_off[li + 1] - item_off[li])
    cap = 1 << 10
    for i in range(n):  # at least a byte per location id: room for all when each location is one item
        cap += ends[i] - starts[i]
    out = np.empty(cap, np.int32)
    offsets = np.zeros(n + 1, np.int64)
    values = np.zeros((n_types, n), np.float64)
    vals = np.empty(64, np.int64)
    labels = np.empty((16, 4), np.int64)
    i = k = nl = missing = 0
    while True:
        i, k, nl, lost, err, at = _fill(buf, starts, ends, i, dense, sorted_ids, order, item_off, items, widest,
                                        out, k, offsets, values, labels, nl, vals)
        missing += lost
        if err or i == n:
            return offsets, out[:k], values, labels[:nl], missing, err, at
        room = (ends[i] - starts[i]) * widest
        if k + room > len(out):
            grown = np.empty(max(2 * len(out), k + room), np.int32)
            grown[:k] = out[:k]
            out = grown
        if nl + ends[i] - starts[i] > len(labels):
            more = np.empty((max(2 * len(labels), nl + ends[i] - starts[i]), 4), np.int64)
            more[:nl] = labels[:nl]
            labels = more
        if ends[i] - starts[i] + 1 > len(vals):
            vals = np.empty(ends[i] - starts[i] + 1, np.int64)  # at most a value per byte


@numba.njit(cache=True, nogil=True)
def through(offsets: np.ndarray, index: np.ndarray, item_off: np.ndarray, items: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Rows of location indices (CSR) -> the same rows with each location replaced by its items."""
    n = len(offsets) - 1
    total = 0
    for j in range(len(index)):
        total += item_off[index[j] + 1] - item_off[index[j]]
    out = np.empty(total, np.int32)
    out_off = np.zeros(n + 1, np.int64)
    k = 0
    for i in range(n):
        for j in range(offsets[i], offsets[i + 1]):
            for f in range(item_off[index[j]], item_off[index[j] + 1]):
                out[k] = items[f]
                k += 1
        out_off[i + 1] = k
    return out_off, out


@numba.njit(cache=True, nogil=True)
def locations(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Location messages -> (id, mapping id, address, line offsets, line function ids, line numbers, error,
    offset); a location's lines are innermost first (the last is the function the others were inlined into)."""
    n = len(starts)
    ids = np.zeros(n, np.int64)
    mapping = np.zeros(n, np.int64)
    address = np.zeros(n, np.int64)
    offsets = np.zeros(n + 1, np.int64)
    cap = n + 16
    func = np.empty(cap, np.int64)
    line = np.empty(cap, np.int64)
    k = 0
    for i in range(n):
        pos, end = starts[i], ends[i]
        while pos < end:
            key, pos = _varint(buf, pos, end)
            if pos < 0:
                return ids, mapping, address, offsets, func[:k], line[:k], BAD_VARINT, starts[i]
            field, wire = key >> 3, key & 7
            if wire == 0 and field <= 3:
                v, pos = _varint(buf, pos, end)
                if field == 1:
                    ids[i] = v
                elif field == 2:
                    mapping[i] = v
                else:
                    address[i] = v
            elif field == 4 and wire == 2:
                ln, p = _varint(buf, pos, end)
                if p < 0 or ln < 0 or ln > end - p:
                    return ids, mapping, address, offsets, func[:k], line[:k], PAST_END, pos
                if k == cap:
                    cap *= 2
                    f2 = np.empty(cap, np.int64)
                    l2 = np.empty(cap, np.int64)
                    f2[:k] = func[:k]
                    l2[:k] = line[:k]
                    func, line = f2, l2
                func[k] = 0
                line[k] = 0
                q, stop = p, p + ln
                while q < stop:
                    lk, q = _varint(buf, q, stop)
                    if q < 0:
                        break
                    if lk & 7 == 0 and (lk >> 3 == 1 or lk >> 3 == 2):
                        v, q = _varint(buf, q, stop)
                        if q < 0:
                            break
                        if lk >> 3 == 1:
                            func[k] = v
                        else:
                            line[k] = v
                    else:
                        q = _skip(buf, q, stop, lk & 7)
                        if q < 0:
                            break
                k += 1
                pos = stop
            else:
                pos = _skip(buf, pos, end, wire)
            if pos < 0:
                return ids, mapping, address, offsets, func[:k], line[:k], PAST_END, starts[i]
        offsets[i + 1] = k
    return ids, mapping, address, offsets, func[:k], line[:k], OK, 0


@numba.njit(cache=True, nogil=True)
def functions(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Function messages -> an (n, 5) array of (id, name, system_name, filename, start_line), error, offset."""
    n = len(starts)
    out = np.zeros((n, 5), np.int64)
    for i in range(n):
        pos, end = starts[i], ends[i]
        while pos < end:
            key, pos = _varint(buf, pos, end)
            if pos < 0:
                return out, BAD_VARINT, starts[i]
            field, wire = key >> 3, key & 7
            if wire == 0 and 1 <= field <= 5:
                v, pos = _varint(buf, pos, end)
                out[i, field - 1] = v
            else:
                pos = _skip(buf, pos, end, wire)
            if pos < 0:
                return out, PAST_END, starts[i]
    return out, OK, 0
