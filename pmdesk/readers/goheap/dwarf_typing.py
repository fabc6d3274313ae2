"""A Go heap dump's objects typed by the DWARF of the program that wrote it (`--exe`): each global's pointer
words (read from the dump's data and bss segments, at the offsets its type's layout gives) type the objects
they point at; from those, breadth first, the objects their pointer words point at (kernels.dwarf_types).
Slices' backing arrays and maps' bucket arrays are arrays of their element type; an object a pointer points
into but not at the start of stays as it was (the field of a struct elsewhere)."""

from __future__ import annotations

import mmap
from dataclasses import dataclass

import numpy as np

from pmdesk.base.progress import Progress
from pmdesk.native.go_dwarf import GoDwarf, read_go_dwarf
from pmdesk.readers.goheap import kernels as K
from pmdesk.readers.goheap.reader import release

TYPED_PER_STEP = 1 << 18  # objects read between giving back the dump's pages behind them


@dataclass
class ExeTypes:
    names: list[str]            # class names, by index
    obj_class: np.ndarray       # int32 per object: index into names, -1 untyped
    globals: list[tuple[int, int, str]]  # (address, size, name) of every global, by address
    typed: int


def _tables(d: GoDwarf) -> tuple[dict[int, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dense ids for DWARF types and their layouts as CSR (start, offset, target id, array flag), sizes."""
    ids = {off: i for i, off in enumerate(d.types)}
    start = np.zeros(len(ids) + 1, np.int64)
    offs: list[int] = []
    targets: list[int] = []
    arrays: list[bool] = []
    sizes = np.zeros(len(ids), np.int64)
    for off, i in ids.items():
        sizes[i] = d.size(off)
        for p in d.layout(off):
            if p.target in ids:
                offs.append(p.offset)
                targets.append(ids[p.target])
                arrays.append(p.array)
        start[i + 1] = len(offs)
    return (ids, start, np.array(offs, np.int64), np.array(targets, np.int64), np.array(arrays, np.bool_), sizes)


def exe_types(exe: str, buf: mmap.mmap, obj_addr: np.ndarray, obj_content: np.ndarray, obj_size: np.ndarray,
              segments: list[tuple[str, int, int, int, int, int]], srt_args: tuple, progress: Progress) -> ExeTypes:
    """The objects typed from the program at `exe` (segments: the dump's (kind, address, contents offset,
    size, …) of data and bss)."""
    progress.update(0.0, "reading the program's DWARF")
    d = read_go_dwarf(exe)
    ids, start, offs, targets, arrays, sizes = _tables(d)
    b = np.frombuffer(buf, np.uint8)
    q_obj, q_type, q_arr = [], [], []
    addrs, end_order = srt_args[0], srt_args[1]
    for _name, addr, t in d.globals:
        seg = next((s for s in segments if s[1] <= addr < s[1] + s[3]), None)
        if seg is None or t not in ids:
            continue
        for p in d.layout(t):
            at = addr - seg[1] + p.offset
            if p.target not in ids or at + 8 > seg[3]:
                continue
            v = int(np.frombuffer(buf, np.uint64, 1, seg[2] + at)[0])
            i = int(np.searchsorted(addrs, np.uint64(v), side="right")) - 1
            if v and i >= 0 and int(addrs[i]) == v:
                q_obj.append(int(end_order[i, 1]))
                q_type.append(ids[p.target])
                q_arr.append(p.array)
    n = len(obj_addr)
    obj_dtype = np.full(n, -1, np.int32)
    obj_darray = np.zeros(n, np.bool_)
    for o, t, arr in zip(q_obj, q_type, q_arr, strict=True):
        if obj_dtype[o] < 0:
            obj_dtype[o], obj_darray[o] = t, arr
    frontier = np.unique(np.array(q_obj, np.int64))
    found = np.empty(n, np.int64)  # each object is found (typed) once
    typed = len(frontier)
    while len(frontier):  # a level at a time, each in dump order: the dump is read forward, given back behind
        progress.update(0.5 + 0.5 * min(1.0, typed / max(n, 1)), "typing objects by the program's DWARF")
        n_found, done = 0, 0
        for k0 in range(0, len(frontier), TYPED_PER_STEP):
            k1 = min(k0 + TYPED_PER_STEP, len(frontier))
            n_found = K.dwarf_types(b, obj_content, obj_size, obj_addr, *srt_args, start, offs, targets, arrays,
                                    sizes, frontier, k0, k1, obj_dtype, obj_darray, found, n_found)
            done = release(buf, done, int(obj_content[frontier[k1 - 1]]))
        frontier = np.sort(found[:n_found])
        typed += n_found
    release(buf, 0, len(buf))
    del found, frontier
    obj_dtype[obj_dtype < 0] = -1
    offsets = list(ids)
    key = np.where(obj_dtype >= 0, obj_dtype.astype(np.int64) * 2 + obj_darray, -1)
    used = np.unique(key[key >= 0])
    names = [("[]" if k & 1 else "") + d.name(offsets[k >> 1]) for k in used.tolist()]
    obj_class = np.full(n, -1, np.int32)
    if len(used):
        obj_class[key >= 0] = np.searchsorted(used, key[key >= 0]).astype(np.int32)
    glob = [(addr, d.size(t), name) for name, addr, t in d.globals]
    return ExeTypes(names, obj_class, glob, typed)
