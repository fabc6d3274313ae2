"""Reads every object's outgoing references from the dump's INSTANCE_DUMP and OBJ_ARRAY_DUMP records.

The second pass over a dump, run after indexing: the index already knows where each object's record
starts and which byte offsets of an instance's field data hold references (`hprof_class.ref_offset`),
so this pass only visits records that can hold references and skips the rest (primitive arrays,
instances without reference fields) without reading them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from pmdesk.base.progress import Progress
from pmdesk.readers.hprof.source import ChunkSource

DONE = 0
NEED = 1    # the record of object `i` is not (completely) in the buffer; ctr[0] = bytes it needs
FLUSH = 2   # the output batch is full
BAD = 3     # the record at object i's offset is not the record the index says is there

KIND_INSTANCE = 0
KIND_OBJECT_ARRAY = 1
KIND_PRIMITIVE_ARRAY = 2

_INSTANCE_DUMP = 0x21
_OBJ_ARRAY_DUMP = 0x22


@njit(cache=True, inline="always")
def _id(b, p, isz):
    v = np.uint64(0)
    for k in range(isz):
        v = (v << np.uint64(8)) | np.uint64(b[p + k])
    return v


@njit(cache=True, inline="always")
def _u4(b, p):
    return (np.int64(b[p]) << 24) | (np.int64(b[p + 1]) << 16) | (np.int64(b[p + 2]) << 8) | np.int64(b[p + 3])


@njit(cache=True, nogil=True)
def gather(buf, n, base, isz, offsets, cls, kind, ref_start, ref_off, i, out_src, out_id, out_weak, ctr):
    """Collect references of objects i, i+1, … whose records lie in buf[0:n]. Returns (status, i, count)."""
    k = 0
    cap = out_id.shape[0]
    n_obj = offsets.shape[0]
    while i < n_obj:
        c = cls[i]
        kd = kind[c]
        if kd == KIND_PRIMITIVE_ARRAY:
            i += 1
            continue
        if kd == KIND_INSTANCE:
            a = ref_start[c]
            b = ref_start[c + 1]
            if a == b:
                i += 1
                continue
            p = np.int64(offsets[i]) - base
            hdr = 1 + isz + 4 + isz + 4
            if p < 0 or p + hdr > n:
                ctr[0] = hdr
                return NEED, i, k
            if buf[p] != _INSTANCE_DUMP:
                return BAD, i, k
            nbytes = _u4(buf, p + hdr - 4)
            if p + hdr + nbytes > n:
                ctr[0] = hdr + nbytes
                return NEED, i, k
            if k + (b - a) > cap:
                return FLUSH, i, k
            data = p + hdr
            for j in range(a, b):
                o = np.int64(ref_off[j])
                weak = o < 0
                if weak:
                    o = ~o
                out_src[k] = i
                out_id[k] = _id(buf, data + o, isz) if o + isz <= nbytes else np.uint64(0)
                out_weak[k] = weak
                k += 1
        else:
            p = np.int64(offsets[i]) - base
            hdr = 1 + isz + 4 + 4 + isz
            if p < 0 or p + hdr > n:
                ctr[0] = hdr
                return NEED, i, k
            if buf[p] != _OBJ_ARRAY_DUMP:
                return BAD, i, k
            cnt = _u4(buf, p + 1 + isz + 4)
            if p + hdr + cnt * isz > n:
                ctr[0] = hdr + cnt * isz
                return NEED, i, k
            if k + cnt > cap:
                if k == 0:
                    ctr[0] = -cnt  # a single array longer than the batch
                return FLUSH, i, k
            data = p + hdr
            for j in range(cnt):
                out_src[k] = i
                out_id[k] = _id(buf, data + j * isz, isz)
                out_weak[k] = False
                k += 1
        i += 1
    return DONE, i, k


Batch = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


def read_references(path: str, id_size: int, offsets: np.ndarray, class_idx: np.ndarray, class_kind: np.ndarray,
                    ref_start: np.ndarray, ref_offset: np.ndarray, on_batch: Batch, progress: Progress,
                    batch: int = 1 << 22, buffer_bytes: int = 16 << 20) -> tuple[int, str | None]:
    """Call `on_batch(source_index, target_id, weak)` for every reference slot, in object order.

    Null references are included (target id 0). Returns (objects read, problem or None); the
    problem says where reading stopped when the dump ends early or no longer matches the index.
    """
    out_src = np.empty(batch, np.int32)
    out_id = np.empty(batch, np.uint64)
    out_weak = np.empty(batch, np.bool_)
    ctr = np.zeros(2, np.int64)
    n_obj = len(offsets)
    i = 0
    with ChunkSource(path, buffer_bytes) as src:
        src.refill(0)
        while True:
            status, i, k = gather(src.buf, src.n, src.base, id_size, offsets, class_idx, class_kind,
                                  ref_start, ref_offset, i, out_src, out_id, out_weak, ctr)
            if k:
                on_batch(out_src[:k], out_id[:k], out_weak[:k])
            if status == DONE:
                return n_obj, None
            if status == BAD:
                return i, f"the record at byte {int(offsets[i]):,} is not the object the index expects"
            if status == FLUSH:
                if ctr[0] < 0:  # one array longer than the batch: make the batch fit it
                    need = int(-ctr[0])
                    out_src, out_id, out_weak = (np.empty(need, np.int32), np.empty(need, np.uint64),
                                                 np.empty(need, np.bool_))
                    ctr[0] = 0
                continue
            at = int(offsets[i])
            need = int(ctr[0])
            if src.base <= at <= src.base + src.n:
                if src.eof:
                    return i, f"the dump ends inside the record at byte {at:,}"
                src.refill(at - src.base)
            else:
                src.skip_to(at)
                if src.base != at:
                    return i, f"the dump ends before byte {at:,}"
            if need > len(src.buf):
                src.grow(need + (1 << 20))
                src.refill(0)
            progress.update(i / max(n_obj, 1), "reading references")
