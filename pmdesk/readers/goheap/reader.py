"""Indexes a Go heap dump: its objects (address, size, where their contents and pointer fields are), the
graph's synthetic nodes (segments, goroutines, frames, finalizer and other roots), each object's class — the
type an interface value names it by, else its size class and allocation site — and the dump's small records
(goroutines, frames, types, memory profile buckets, memstats, finalizers)."""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.goheap import kernels as K
from pmdesk.readers.goheap import records as R
from pmdesk.readers.samples_rows import SamplesWriter

STEP_BYTES = 64 << 20  # bytes walked between progress reports (and cancellation points)
SYNTHETIC = ("data", "bss", "finalizers", "finalizer queue")


@contextlib.contextmanager
def mapped(path: str) -> Iterator[mmap.mmap]:
    """The file mapped read-only (never written); unmapped after, or when the last array over it goes (an
    exception's traceback may still hold one)."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield mm
    finally:
        with contextlib.suppress(BufferError):
            mm.close()


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


@dataclass
class Walked:
    """What the record walk found: objects, allocation samples, the other records; where it stopped."""

    obj_addr: np.ndarray
    obj_size: np.ndarray
    obj_content: np.ndarray
    obj_fields: np.ndarray
    samp_ptr: np.ndarray
    samp_bucket: np.ndarray
    other_tag: np.ndarray
    other_off: np.ndarray
    cut_at: int | None      # where a record ran past the end (the dump is cut short there)
    no_eof: bool            # the bytes ended on a record boundary without the EOF record


def walk(path: str, mm: mmap.mmap, progress: Progress) -> Walked:
    """Both passes of the record walk over the mapped dump, the first to size the arrays."""
    b = np.frombuffer(mm, np.uint8)
    ctr = np.zeros(K.N_K, np.int64)
    e8 = np.empty(0, np.uint64)
    e4 = np.empty(0, np.int32)
    status = K.W_MORE

    def run(fill: bool, arrays: tuple, lo: float, hi: float) -> int:
        ctr[:] = 0
        ctr[K.K_POS] = len(R.HEADER)
        done = 0
        while True:
            stop = int(ctr[K.K_POS]) + STEP_BYTES
            st = K.walk(b, stop, fill, *arrays, ctr)
            done = release(mm, done, int(ctr[K.K_POS]))
            progress.update(lo + (hi - lo) * min(int(ctr[K.K_POS]) / max(len(b), 1), 1.0),
                            "reading the heap dump's records")
            if st != K.W_MORE:
                return st

    status = run(False, (e8, e8, e8, e8, e8, e8, e4, e8), 0.0, 0.3)
    pos = int(ctr[K.K_POS])
    if status == K.W_BAD_TAG:
        raise DumpFormatError(path, f"has a record of unknown tag {b[pos]} — not a Go heap dump this reader knows, "
                              "or damaged", pos)
    if status == K.W_BAD_FIELD:
        raise DumpFormatError(path, "has a field list with an unknown field kind — damaged", pos)
    n_obj, n_samp, n_other = int(ctr[K.K_OBJ]), int(ctr[K.K_SAMPLE]), int(ctr[K.K_OTHER])
    arrays = (np.empty(n_obj, np.uint64), np.empty(n_obj, np.int64), np.empty(n_obj, np.int64),
              np.empty(n_obj, np.int64), np.empty(n_samp, np.uint64), np.empty(n_samp, np.uint64),
              np.empty(n_other, np.int32), np.empty(n_other, np.int64))
    run(True, arrays, 0.3, 0.6)
    cut = pos if status == K.W_CUT and pos < len(b) else None
    return Walked(*arrays, cut_at=cut,
                  no_eof=status == K.W_CUT and pos >= len(b))


@dataclass
class Records:
    """The small records, decoded."""

    params: dict[str, object] = field(default_factory=dict)
    memstats: dict[str, int] = field(default_factory=dict)
    types: list[tuple[int, int, str, bool]] = field(default_factory=list)  # (addr, size, name, indirect)
    itabs: list[tuple[int, int]] = field(default_factory=list)            # (itab, type)
    goroutines: list[R.Goroutine] = field(default_factory=list)
    frames: list[tuple[R.Frame, int, int]] = field(default_factory=list)  # (frame, goroutine #, fields offset)
    segments: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    # (kind, addr, contents offset, size, fields offset, record offset)
    finalizers: list[tuple[int, ...]] = field(default_factory=list)       # (queued, obj, fn, fn_pc, fint, ot)
    other_roots: list[tuple[str, int]] = field(default_factory=list)
    os_threads: list[tuple[int, int, int]] = field(default_factory=list)
    defers: list[tuple[int, ...]] = field(default_factory=list)
    panics: list[tuple[int, ...]] = field(default_factory=list)
    buckets: list[R.MemProfBucket] = field(default_factory=list)


def decode_records(path: str, buf: mmap.mmap, tags: np.ndarray, offsets: np.ndarray,
                   check: Callable[[], None]) -> Records:
    """Every record the walk left to Python (all but objects and allocation samples), in dump order."""
    out = Records()
    for i, (tag, off) in enumerate(zip(tags.tolist(), offsets.tolist(), strict=True)):
        if i % 4096 == 0:
            check()
        c = R.Cursor(buf, off)
        try:
            c.uint()
            _record(out, c, tag, off)
        except R.Cut:  # the walk stepped over it whole: only a damaged length inside could do this
            raise DumpFormatError(path, f"has a damaged {R.TAG_NAMES[tag]} record", off) from None
    return out


def _record(out: Records, c: R.Cursor, tag: int, off: int) -> None:
    if tag == R.T_TYPE:
        addr, size = c.uint(), c.uint()
        out.types.append((addr, size, c.text(), bool(c.uint())))
    elif tag == R.T_ITAB:
        out.itabs.append((c.uint(), c.uint()))
    elif tag == R.T_GOROUTINE:
        out.goroutines.append(R.goroutine(c, off))
    elif tag == R.T_STACK_FRAME:
        fr = R.frame(c, off)
        out.frames.append((fr, len(out.goroutines) - 1, c.pos))
    elif tag in (R.T_DATA, R.T_BSS):
        addr = c.uint()
        content, size = c.skip_range()
        out.segments.append(("data" if tag == R.T_DATA else "bss", addr, content, size, c.pos, off))
    elif tag in (R.T_FINALIZER, R.T_QUEUED_FINALIZER):
        out.finalizers.append((int(tag == R.T_QUEUED_FINALIZER), *(c.uint() for _ in range(5))))
    elif tag == R.T_OTHER_ROOT:
        out.other_roots.append((c.text(), c.uint()))
    elif tag == R.T_OS_THREAD:
        out.os_threads.append((c.uint(), c.uint(), c.uint()))
    elif tag == R.T_DEFER:
        out.defers.append(tuple(c.uint() for _ in range(7)))
    elif tag == R.T_PANIC:
        out.panics.append(tuple(c.uint() for _ in range(6)))
    elif tag == R.T_MEM_PROF:
        out.buckets.append(R.memprof(c))
    elif tag == R.T_MEM_STATS:
        out.memstats = {k: c.uint() for k in R.MEMSTATS_FIELDS}
        pauses = [c.uint() for _ in range(R.PAUSE_NS)]
        out.memstats["num_gc"] = c.uint()
        out.memstats["last_pause_ns"] = pauses[(out.memstats["num_gc"] + R.PAUSE_NS - 1) % R.PAUSE_NS]
    elif tag == R.T_PARAMS:
        big, ptr, lo, hi = (c.uint() for _ in range(4))
        out.params = {"big_endian": bool(big), "pointer_bytes": ptr, "arena_start": lo, "arena_end": hi,
                      "arch": c.text(), "go_version": c.text(), "ncpu": c.uint()}


def site_of(frames: list[tuple[str, str, int]]) -> str:
    """The function an allocation is charged to: the innermost frame outside the runtime, as pprof shows a
    heap profile's leaf."""
    for fn, _file, _line in frames:
        if not fn.startswith("runtime."):
            return fn
    return frames[0][0] if frames else "?"


def object_type_name(type_name: str) -> str:
    """What an object an interface points at is: *T's data word points at a T; any other type (held
    indirectly) is boxed in an object of that type."""
    return type_name[1:] if type_name.startswith("*") else type_name


@dataclass
class Layout:
    """The graph's nodes: objects first (dump order), then the synthetic ones, numbered in this order."""

    n_obj: int
    segments: list[int]          # node of each segment record
    goroutines: list[int]
    frames: list[int]
    finalizers: int              # the one node holding registered finalizers' functions and referents
    queue: int                   # the one node holding queued finalizers' objects
    others: dict[str, int]       # other roots by description
    n: int


def layout(n_obj: int, rec: Records) -> Layout:
    """Node numbers of the synthetic nodes after the objects."""
    v = n_obj
    segs = list(range(v, v + len(rec.segments)))
    v += len(segs)
    gs = list(range(v, v + len(rec.goroutines)))
    v += len(gs)
    frs = list(range(v, v + len(rec.frames)))
    v += len(frs)
    fin, queue = v, v + 1
    v += 2
    others = {}
    for desc, _ptr in rec.other_roots:
        if desc not in others:
            others[desc] = v
            v += 1
    return Layout(n_obj, segs, gs, frs, fin, queue, others, v)


PAGE_SHIFT = 10  # the page index's pages: 1 KiB, a few objects each


@dataclass
class Sorted:
    """Objects by address, to find the object a pointer points into: sorted starts, each one's end and dump
    index side by side, and a page index (the last object starting at or before each page) that keeps a
    search within one page's objects."""

    addrs: np.ndarray
    end_order: np.ndarray  # int64 (n, 2): end address (as int64 bits), dump index
    base: int
    shift: int
    page_lo: np.ndarray

    @classmethod
    def of(cls, addr: np.ndarray, size: np.ndarray) -> Sorted:
        order = np.argsort(addr, kind="stable").astype(np.int64)
        a = addr[order]
        end_order = np.empty((len(a), 2), np.int64)
        end_order[:, 0] = (a + size[order].astype(np.uint64)).view(np.int64)
        end_order[:, 1] = order
        del order
        base = int(a[0]) if len(a) else 0
        span = int(end_order[:, 0].view(np.uint64).max()) - base if len(a) else 0
        shift = PAGE_SHIFT
        while span >> shift > max(2 * len(a), 1 << 20):  # a sparse address space: bigger pages, a small index
            shift += 1
        starts = np.uint64(base) + (np.arange((span >> shift) + 2, dtype=np.uint64) << np.uint64(shift))
        page_lo = (np.searchsorted(a, starts, side="right") - 1).astype(np.int64)
        return cls(a, end_order, base, shift, page_lo)

    def kernel_args(self) -> tuple:
        return self.addrs, self.end_order, np.uint64(self.base), self.shift, self.page_lo

    def owners(self, values: np.ndarray) -> np.ndarray:
        """The object (dump index) each value points into, -1 for none."""
        if len(self.addrs) == 0:
            return np.full(len(values), -1, np.int64)
        i = np.maximum(np.searchsorted(self.addrs, values.astype(np.uint64), side="right") - 1, -1)
        ok = (i >= 0) & (values.astype(np.uint64) < self.end_order[np.maximum(i, 0), 0].view(np.uint64))
        return np.where(ok, self.end_order[np.maximum(i, 0), 1], -1)


def field_owners(w: Walked, rec: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(contents offset, size, field-list offset) of every node with pointer fields: the objects, then the
    segments, then the frames (the order their nodes are numbered in)."""
    extra = [(s[2], s[3], s[4]) for s in rec.segments] + [(f.content, f.size, p) for f, _g, p in rec.frames]
    more = np.array(extra, np.int64).reshape(-1, 3)
    return (np.concatenate([w.obj_content, more[:, 0]]), np.concatenate([w.obj_size, more[:, 1]]),
            np.concatenate([w.obj_fields, more[:, 2]]))


OWNERS_PER_STEP = 1 << 20  # owners read between progress reports (and before their pages are let go)


def by_steps(mm: mmap.mmap, content: np.ndarray, n_obj: int, step: Callable[[int, int], None],
             progress: Progress, what: str) -> None:
    """step(k0, k1) over the owners a million at a time, giving back the dump's pages read so far (objects
    lie in the dump in their order), so a dump bigger than memory costs only its arrays."""
    done = 0
    for k0 in range(0, len(content), OWNERS_PER_STEP):
        k1 = min(k0 + OWNERS_PER_STEP, len(content))
        step(k0, k1)
        if k1 < n_obj:
            done = release(mm, done, int(content[k1]))
        progress.update(k1 / max(len(content), 1), what)


def release(mm: mmap.mmap, done: int, upto: int) -> int:
    """Tell the kernel the mapped dump's pages from `done` to `upto` will not be needed soon (read again from
    the file if they are): the resident memory stays what is being read. Returns the new mark."""
    start = done - done % mmap.PAGESIZE
    stop = upto - upto % mmap.PAGESIZE
    if stop > start and hasattr(mm, "madvise"):
        mm.madvise(mmap.MADV_DONTNEED, start, stop - start)
    return max(done, stop)


def interface_types(mm: mmap.mmap, content: np.ndarray, size: np.ndarray, fields: np.ndarray,
                    obj_addr: np.ndarray, srt: Sorted, itabs: list[tuple[int, int]], type_addrs: dict[int, int],
                    progress: Progress) -> np.ndarray:
    """Each object's type index from the interfaces pointing at it (-1: none); `itabs` (itab, type
    address), `type_addrs` type address -> index."""
    b = np.frombuffer(mm, np.uint8)
    itab_addr = np.array(sorted(a for a, _t in itabs), np.uint64)
    itab_of = dict(itabs)
    itab_type = np.array([type_addrs.get(itab_of[int(a)], -1) for a in itab_addr], np.int32)
    type_sorted = np.array(sorted(type_addrs), np.uint64)
    type_idx = np.array([type_addrs[int(a)] for a in type_sorted], np.int32)
    obj_type = np.full(len(obj_addr), -1, np.int32)
    if len(itab_addr) or len(type_sorted):
        by_steps(mm, content, len(obj_addr), lambda k0, k1: K.interface_types(
            b, content, size, fields, k0, k1, obj_addr, *srt.kernel_args(), itab_addr, itab_type, type_sorted,
            type_idx, obj_type), progress, "typing objects by the interfaces pointing at them")
    return obj_type


def distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct keys in first-seen order, each key's number): np.unique without its sort."""
    slots = 1 << 12
    while True:
        table = np.full(slots, -1, np.int64)
        codes = np.empty(len(keys), np.int64)
        uniques = np.empty(min(slots // 2, max(len(keys), 1)), np.int64)
        n = K.factorize(keys.astype(np.int64, copy=False), table, codes, uniques)
        if n >= 0:
            return uniques[:n], codes
        slots *= 4


def classes(w: Walked, rec: Records, obj_type: np.ndarray, srt: Sorted, extra_types: list[str]
            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(class names, each object's class index, each object's bucket index or -1): its type when an
    interface names it (or the program's DWARF: `extra_types`, numbered after the dump's types), else
    '<size> B from <site>' by its allocation sample, else '<size> B objects'."""
    bucket_idx = {bk.bucket: i for i, bk in enumerate(rec.buckets)}
    obj_bucket = np.full(len(w.obj_addr), -1, np.int32)
    if len(w.samp_ptr):
        owner = srt.owners(w.samp_ptr)
        bk = np.array([bucket_idx.get(int(x), -1) for x in w.samp_bucket], np.int32)
        keep = (owner >= 0) & (bk >= 0)
        obj_bucket[owner[keep][::-1]] = bk[keep][::-1]  # an object's first sample wins (assigned last)
    sites = sorted({site_of(bk.frames) for bk in rec.buckets})
    site_number = {name: i for i, name in enumerate(sites)}
    bucket_site = np.array([site_number[site_of(bk.frames)] for bk in rec.buckets] or [0], np.int64)
    type_names = [object_type_name(t[2]) for t in rec.types] + extra_types
    # One key per object — a type, or (site, size), or a size — made unique by numpy, then named per key.
    sizes = w.obj_size
    span = int(sizes.max(initial=0)) + 1
    site = np.where(obj_bucket >= 0, bucket_site[np.maximum(obj_bucket, 0)], -1)
    key = np.where(obj_type >= 0, obj_type.astype(np.int64), len(type_names) + (site + 1) * span + sizes)
    uniq, inverse = distinct(key)
    names: list[str] = []
    index: dict[str, int] = {}
    cls_of_key = np.empty(len(uniq), np.int32)
    for k, kv in enumerate(uniq.tolist()):
        if kv < len(type_names):
            name = type_names[kv]
        else:
            s, size = divmod(kv - len(type_names), span)
            name = f"{size:,} B from {sites[s - 1]}" if s > 0 else f"{size:,} B objects"
        cls_of_key[k] = index.setdefault(name, len(names))
        if cls_of_key[k] == len(names):
            names.append(name)
    return names, cls_of_key[inverse].astype(np.int32), obj_bucket


def write_allocation_samples(sink: IndexSink, buckets: list[R.MemProfBucket], obj_bucket: np.ndarray,
                             obj_size: np.ndarray) -> None:
    """The memory profile as stack samples, one per bucket, with pprof's heap value types: allocations and
    their bytes as the bucket counted them (as of the last GC, not scaled for sampling), and the objects in
    the dump it allocated and their bytes (inuse). Stacks start at the first frame outside the runtime, as
    a pprof heap profile's do."""
    live = np.bincount(obj_bucket[obj_bucket >= 0], minlength=len(buckets))
    live_bytes = np.bincount(obj_bucket[obj_bucket >= 0], weights=obj_size[obj_bucket >= 0], minlength=len(buckets))
    w = SamplesWriter([("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
                       ("inuse_space", "bytes")])
    for i, bk in enumerate(buckets):
        frames = bk.frames
        user = next((k for k, (fn, _f, _l) in enumerate(frames) if not fn.startswith("runtime.")), 0)
        stack = [w.frame(fn, None, file or None) for fn, file, _line in reversed(frames[user:])]
        w.sample(stack, [bk.allocs, bk.allocs * bk.size, int(live[i]), float(live_bytes[i])])
    w.write(sink, {"samples.default_type": "inuse_space"})


class GoHeapScan:
    """One indexing run over a Go heap dump."""

    def __init__(self, path: str, sink: IndexSink, progress: Progress, exe: str | None = None) -> None:
        self.path = path
        self.sink = sink
        self.progress = progress
        self.exe = exe

    def run(self) -> None:
        if os.path.getsize(self.path) < len(R.HEADER):
            raise DumpFormatError(self.path, "is too short to be a Go heap dump", 0)
        with mapped(self.path) as mm:
            self._index(mm)

    def _index(self, buf: mmap.mmap) -> None:
        path, sink = self.path, self.sink
        if bytes(buf[:len(R.HEADER)]) != R.HEADER:
            raise DumpFormatError(path, "does not start with 'go1.7 heap dump': not a Go heap dump", 0)
        w = walk(path, buf, self.progress.part(0.0, 0.6))
        rec = decode_records(path, buf, w.other_tag, w.other_off,
                             lambda: self.progress.update(0.6, "reading goroutines"))
        if not rec.params:
            raise DumpFormatError(path, "has no dump parameters record: damaged", len(R.HEADER))
        if rec.params["pointer_bytes"] != 8 or rec.params["big_endian"]:
            raise DumpFormatError(path, f"is from a {rec.params['pointer_bytes'] * 8}-bit "
                                  f"{'big' if rec.params['big_endian'] else 'little'}-endian process "
                                  f"({rec.params['arch']}): only 64-bit little-endian dumps are read", 0)
        self.progress.update(0.7, "finding the objects pointers point into")
        srt = Sorted.of(w.obj_addr, w.obj_size)
        overlap = int(np.count_nonzero(srt.addrs[1:] < srt.end_order[:-1, 0].view(np.uint64))) \
            if len(srt.addrs) > 1 else 0
        # a type the dump names only by its package ('flag.': an unnamed type, most often a pointer) names nothing
        type_addrs = {t[0]: i for i, t in enumerate(rec.types) if not t[2].endswith(".")}
        obj_type = interface_types(buf, *field_owners(w, rec), w.obj_addr, srt, rec.itabs, type_addrs,
                                   self.progress.part(0.7, 0.8))
        extra: list[str] = []
        by_class = obj_type  # what classes() names objects by: the interface's type, else the program's
        if self.exe is not None:
            from pmdesk.readers.goheap.dwarf_typing import exe_types

            got = exe_types(self.exe, buf, w.obj_addr, w.obj_content, w.obj_size, rec.segments, srt.kernel_args(),
                            self.progress.part(0.8, 0.85))
            by_class = np.where(obj_type >= 0, obj_type, np.where(got.obj_class >= 0, len(rec.types) + got.obj_class,
                                                                  -1)).astype(np.int32)
            extra = got.names
            sink.insert("goheap_global", ("address", "size", "name"), [(_signed(a), s, n) for a, s, n in got.globals])
            sink.meta("goheap.exe", self.exe)
            sink.meta("goheap.exe_typed", got.typed)
        self.progress.update(0.85, "naming the objects")
        names, obj_cls, obj_bucket = classes(w, rec, by_class, srt, extra)
        lay = layout(len(w.obj_addr), rec)
        self._write(w, rec, lay, names, obj_cls, obj_type, obj_bucket)
        write_allocation_samples(self.sink, rec.buckets, obj_bucket, w.obj_size)
        if w.cut_at is not None:
            sink.meta("goheap.truncated_at", w.cut_at)
            sink.diagnostic(w.cut_at, "goheap.truncated", f"the dump is cut short at byte {w.cut_at:,}: a record "
                            "runs past the end; everything before it is read")
        elif w.no_eof:
            sink.meta("goheap.truncated_at", len(buf))
            sink.diagnostic(len(buf), "goheap.truncated", "the dump ends without its end record: it may be cut short")
        if overlap:
            sink.diagnostic(None, "goheap.overlap", f"{overlap:,} objects overlap the next one in memory: the dump "
                            "is damaged; pointers into them are given to the lower one")

    def _write(self, w: Walked, rec: Records, lay: Layout, names: list[str], obj_cls: np.ndarray,
               obj_type: np.ndarray, obj_bucket: np.ndarray) -> None:
        sink = self.sink
        n_obj = lay.n_obj
        synth: list[tuple[str, str]] = []  # (class name, kind) per synthetic node, in node order
        ids: list[int] = []
        for kind, addr, *_rest in rec.segments:
            synth.append((f"{kind} segment", "segment"))
            ids.append(addr)
        for g in rec.goroutines:
            synth.append(("goroutine", "goroutine"))
            ids.append(g.addr)
        for fr, _g, _p in rec.frames:
            synth.append((f"stack frame {fr.function}", "frame"))
            ids.append(fr.sp)
        synth += [("finalizers", "finalizers"), ("finalizer queue", "finalizer queue")]
        ids += [0, 0]
        synth += [("other root", "other")] * len(lay.others)
        ids += [0] * len(lay.others)
        kinds = ["object"] * len(names)
        cls_index = {}
        synth_cls = []
        for name, kind in synth:
            if (name, kind) not in cls_index:
                cls_index[(name, kind)] = len(names)
                names.append(name)
                kinds.append(kind)
            synth_cls.append(cls_index[(name, kind)])
        sink.insert("heap_class", ("class_idx", "name", "kind"), list(zip(range(len(names)), names, kinds,
                                                                          strict=True)))
        node_id = np.concatenate([w.obj_addr, np.array(ids, np.uint64)])
        node_cls = np.concatenate([obj_cls, np.array(synth_cls, np.int32)])
        shallow = np.concatenate([w.obj_size, np.zeros(len(synth), np.int64)])
        for name, arr in (("heap_node.id", node_id), ("heap_node.class_idx", node_cls), ("heap_node.shallow", shallow),
                          ("goheap_object.content", w.obj_content.astype(np.uint64)),
                          ("goheap_object.fields", w.obj_fields.astype(np.uint64)),
                          ("goheap_object.type", obj_type), ("goheap_object.bucket", obj_bucket)):
            for a in range(0, max(len(arr), 1), 1 << 20):
                sink.array_chunk(name, arr[a:a + (1 << 20)])
        counts = np.bincount(obj_cls, minlength=len(names))
        sums = np.bincount(obj_cls, weights=w.obj_size, minlength=len(names))
        sink.insert("heap_histogram", ("class_idx", "name", "count", "shallow_bytes"),
                    [(c, names[c], int(counts[c]), int(sums[c])) for c in np.nonzero(counts[:len(kinds)])[0].tolist()
                     if kinds[c] == "object"])
        sink.insert("goheap_type", ("type_idx", "addr", "size", "name", "indirect"),
                    [(i, _signed(a), s, n, int(ind)) for i, (a, s, n, ind) in enumerate(rec.types)])
        sink.insert("goheap_itab", ("addr", "type_addr"),
                    [(_signed(a), _signed(t)) for a, t in dict(rec.itabs).items()])
        sink.insert("goheap_goroutine", ("node", "goid", "addr", "sp", "go_pc", "status", "system", "wait_since",
                                         "wait_reason", "ctxt", "m", "record"),
                    [(v, g.goid, _signed(g.addr), _signed(g.sp), _signed(g.gopc), R.G_STATUS.get(g.status & ~0x1000,
                                                                                                 str(g.status)),
                      int(g.system), _signed(g.wait_since), g.wait_reason, _signed(g.ctxt), _signed(g.m), g.record)
                     for v, g in zip(lay.goroutines, rec.goroutines, strict=True)])
        sink.insert("goheap_frame", ("node", "goroutine", "depth", "sp", "function", "entry", "pc", "frame_bytes",
                                     "record"),
                    [(v, lay.goroutines[gi] if gi >= 0 else None, fr.depth, _signed(fr.sp), fr.function,
                      _signed(fr.entry), _signed(fr.pc), fr.size, fr.record)
                     for v, (fr, gi, _p) in zip(lay.frames, rec.frames, strict=True)])
        roots = [(v, kind, _signed(addr), size, f"{kind} segment", record)
                 for v, (kind, addr, _c, size, _f, record) in zip(lay.segments, rec.segments, strict=True)]
        roots += [(lay.finalizers, "finalizers", None, None, "finalizers", None),
                  (lay.queue, "finalizer queue", None, None, "finalizer queue", None)]
        roots += [(v, "other", None, None, desc or "other root", None) for desc, v in lay.others.items()]
        sink.insert("goheap_root_node", ("node", "kind", "addr", "bytes", "name", "record"), roots)
        sink.insert("goheap_other_root", ("node", "pointer"),
                    [(lay.others[desc], _signed(ptr)) for desc, ptr in rec.other_roots])
        sink.insert("goheap_finalizer", ("queued", "object", "fn", "fn_pc", "fint", "ot"),
                    [(q, *(_signed(x) for x in rest)) for q, *rest in rec.finalizers])
        sink.insert("goheap_os_thread", ("addr", "id", "proc_id"),
                    [(_signed(a), i, p) for a, i, p in dict((t[0], t) for t in rec.os_threads).values()])
        sink.insert("goheap_defer", ("addr", "goroutine", "sp", "pc", "fn", "fn_pc", "link"),
                    [tuple(_signed(x) for x in d) for d in rec.defers])
        sink.insert("goheap_panic", ("addr", "goroutine", "arg_type", "arg_data", "link"),
                    [tuple(_signed(x) for i, x in enumerate(p) if i != 4) for p in rec.panics])
        sink.insert("goheap_bucket", ("bucket_idx", "addr", "size", "allocs", "frees", "site"),
                    [(i, _signed(bk.bucket), bk.size, bk.allocs, bk.frees, site_of(bk.frames))
                     for i, bk in enumerate(rec.buckets)])
        sink.insert("goheap_bucket_frame", ("bucket_idx", "depth", "function", "file", "line"),
                    [(i, d, fn, file, line) for i, bk in enumerate(rec.buckets) for d, (fn, file, line)
                     in enumerate(bk.frames)])
        for k, v in rec.params.items():
            sink.meta(f"goheap.{k}", v)
        for k, v in rec.memstats.items():
            sink.meta(f"goheap.memstats.{k}", v)
        heap_objects = int(n_obj)
        sink.meta("summary.objects", heap_objects)
        sink.meta("summary.classes", int(np.count_nonzero(np.bincount(obj_cls, minlength=1))))
        sink.meta("summary.shallow_bytes", int(w.obj_size.sum()))
        sink.meta("summary.roots", len(rec.segments) + len(rec.goroutines) + len(rec.finalizers) + len(rec.other_roots))
        sink.meta("summary.goroutines", len(rec.goroutines))
        sink.meta("goheap.nodes", lay.n)
        sink.meta("goheap.typed_objects", int(np.count_nonzero(obj_type >= 0)))
        sink.meta("goheap.sampled_objects", int(np.count_nonzero(obj_bucket >= 0)))
