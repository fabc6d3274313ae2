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
def samples(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_types: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Sample messages -> (location-id offsets, location ids leaf first, values (n, n_types), label rows
    (sample, key, str, num) as an (m, 4) array, error code, offset). A value missing is 0."""
    n = len(starts)
    total = 0
    for i in range(n):
        total += ends[i] - starts[i]
    locs = np.empty(total, np.int64)  # at most a location per byte
    offsets = np.zeros(n + 1, np.int64)
    values = np.zeros((n, n_types), np.int64)
    vals = np.empty(64, np.int64)
    labels = np.empty((16, 4), np.int64)
    nl = 0
    k = 0
    for i in range(n):
        pos, end = starts[i], ends[i]
        if end - pos + 1 > len(vals):
            vals = np.empty(end - pos + 1, np.int64)  # at most a value per byte
        nv = 0
        while pos < end:
            key, pos = _varint(buf, pos, end)
            if pos < 0:
                return offsets, locs[:k], values, labels[:nl], BAD_VARINT, starts[i]
            field, wire = key >> 3, key & 7
            if field == 1 and (wire == 0 or wire == 2):
                k, pos = _repeated(buf, pos, end, wire, locs, k)
            elif field == 2 and (wire == 0 or wire == 2):  # packed, or one record per value (Go writes those)
                nv, pos = _repeated(buf, pos, end, wire, vals, nv)
            elif field == 3 and wire == 2:
                ln, p = _varint(buf, pos, end)
                if p < 0 or ln < 0 or ln > end - p:
                    return offsets, locs[:k], values, labels[:nl], PAST_END, pos
                if nl == len(labels):
                    l2 = np.empty((len(labels) * 2, 4), np.int64)
                    l2[:nl] = labels[:nl]
                    labels = l2
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
                return offsets, locs[:k], values, labels[:nl], PAST_END, starts[i]
        for j in range(min(nv, n_types)):
            values[i, j] = vals[j]
        offsets[i + 1] = k
    return offsets, locs[:k], values, labels[:nl], OK, 0


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
