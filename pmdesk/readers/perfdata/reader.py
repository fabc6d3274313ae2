"""Indexes a perf.data recording into stack samples: the records scanned in numba (readers/perfdata/records.py),
`-z` recordings' COMPRESSED records inflated as the one zstd stream they are, the side-band records read into
processes (maps.py), every sample's call chain named — each distinct address once — as perf script names it,
the command as the stack's root; value types `samples` (count) and `period` (nanoseconds for the clock events,
else events), one event per attr, threads by pid/tid/comm, times in ns."""

from __future__ import annotations

import os
import struct

import numba
import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.arch import SP
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.base import IndexSink
from pmdesk.readers.gzip_bytes import inflate_limit_bytes
from pmdesk.readers.perfdata import off_cpu, records
from pmdesk.readers.perfdata.header import (
    TIME,
    Attr,
    build_id_records,
    parse_attr,
    read_header,
)
from pmdesk.readers.perfdata.maps import COMM, FORK, KERNEL_MODULE, MMAP, MMAP2, Namer, Processes, read_sideband
from pmdesk.readers.perfdata.records import CONTEXT_USER
from pmdesk.readers.perfdata.user_stacks import ABI_64, MACHINES, StackCopy, registers, unwind_user
from pmdesk.readers.samples_rows import SamplesWriter

HEADER_ATTR, HEADER_BUILD_ID, FINISHED_ROUND, COMPRESSED, COMPRESSED2 = 64, 67, 68, 81, 83
CLOCK_EVENTS = ("cpu-clock", "task-clock")


def _inflate(path: str, buf: np.ndarray, types: np.ndarray, offs: np.ndarray, sizes: np.ndarray,
             big: bool) -> bytes:
    """The records with every COMPRESSED one replaced by what it holds: all of them are one zstd stream (a
    frame may run on into the next record), inflated in file order."""
    import zstandard

    e = ">" if big else "<"
    out = bytearray()
    z = zstandard.ZstdDecompressor().decompressobj()
    limit = inflate_limit_bytes(len(buf))
    data = buf.tobytes()
    for t, o, s in zip(types.tolist(), offs.tolist(), sizes.tolist(), strict=True):
        if t == COMPRESSED or t == COMPRESSED2:
            start = o + 8
            stop = o + s
            if t == COMPRESSED2 and s >= 16:
                start, stop = o + 16, min(o + 16 + struct.unpack_from(e + "Q", data, o + 8)[0], o + s)
            try:
                out += z.decompress(data[start:stop])
            except zstandard.ZstdError as err:
                raise DumpFormatError(path, f"has a compressed record that does not inflate ({err})", o) from None
            if len(out) > limit:
                raise DumpFormatError(path, f"inflates past {limit >> 20:,} MiB: refused", o)
        else:
            out += data[o:o + s]
    return bytes(out)


@numba.njit(cache=True, nogil=True)
def _assemble(chain_off: np.ndarray, entry_frame: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's frames innermost first (entries named -1, the context markers, dropped), then its root."""
    n = len(chain_off) - 1
    off = np.zeros(n + 1, np.int64)
    out = np.empty(len(entry_frame) + n, np.int32)
    k = 0
    for i in range(n):
        for j in range(chain_off[i], chain_off[i + 1]):
            if entry_frame[j] >= 0:
                out[k] = entry_frame[j]
                k += 1
        out[k] = root[i]
        k += 1
        off[i + 1] = k
    return off, out[:k]


def _u64_bits(values: list[int]) -> np.ndarray:
    """u64 fields of the file (masks, ids) as int64 bit patterns, whatever their top bit."""
    return np.asarray([v & 0xFFFFFFFFFFFFFFFF for v in values], np.uint64).view(np.int64)


def read_perf(path: str, sink: IndexSink, progress: Progress, paths: SearchPaths | None = None) -> None:
    paths = paths or SearchPaths()
    progress.update(0.0, "reading the recording")
    with open(path, "rb") as f:
        data = f.read()
    head = read_header(path, data)
    if head.problems:
        sink.diagnostic(None, "perf.header", f"its header's feature sections ({', '.join(head.problems[:4])}"
                        f"{' …' if len(head.problems) > 4 else ''}) lie past its end: cut short")
    big = head.big
    e = head.end
    buf = np.frombuffer(data, np.uint8)
    types, offs, sizes, err, at = records.scan(buf, head.data_offset, head.data_offset + head.data_size, big)
    if err:
        why = "a record past the end: cut short" if err == records.PAST_END else "a record under 8 bytes: damaged"
        sink.diagnostic(int(at), "perf.cut", f"the records stop at byte {int(at):,} ({why}); the samples before "
                        "it are read")
    if np.isin(types, (COMPRESSED, COMPRESSED2)).any():
        progress.update(0.1, "inflating compressed records")
        data = _inflate(path, buf, types, offs, sizes, big)
        buf = np.frombuffer(data, np.uint8)
        types, offs, sizes, err, at = records.scan(buf, 0, len(data), big)
        if err:
            sink.diagnostic(int(at), "perf.cut", f"the inflated records stop at byte {int(at):,}: cut short")
    attrs, build_ids = head.attrs, dict(head.build_ids)
    if head.pipe:  # attrs and build-ids come as records
        for o, s in zip(offs[types == HEADER_ATTR].tolist(), sizes[types == HEADER_ATTR].tolist(), strict=True):
            size = struct.unpack_from(e + "I", data, o + 12)[0]
            attr = parse_attr(path, data[o + 8:o + 8 + size], e)
            attr.ids = list(struct.unpack_from(e + f"{(s - 8 - size) // 8}Q", data, o + 8 + size))
            attr.name = attr.default_name()
            attrs.append(attr)
        for o, s in zip(offs[types == HEADER_BUILD_ID].tolist(), sizes[types == HEADER_BUILD_ID].tolist(),
                        strict=True):
            build_ids.update(build_id_records(data[o:o + s], e))
    if not attrs:
        raise DumpFormatError(path, "has no event attributes: not a recording perf can read either", 0)
    known = {MMAP, MMAP2, COMM, FORK, records.SAMPLE, FINISHED_ROUND, HEADER_ATTR, HEADER_BUILD_ID, off_cpu.SWITCH,
             off_cpu.SWITCH_CPU_WIDE}
    unknown = types[~np.isin(types, list(known))]
    if len(unknown):
        kinds = sorted(set(unknown.tolist()))
        sink.diagnostic(None, "perf.skipped", f"{len(unknown):,} records of types pmdesk does not use skipped "
                        f"({', '.join(map(str, kinds[:8]))})", "info")

    progress.update(0.25, "reading processes and maps")
    side = np.isin(types, (MMAP, MMAP2, COMM, FORK))
    misc = [struct.unpack_from(e + "H", data, o + 4)[0] for o in offs[side].tolist()]
    procs = read_sideband(data, list(zip(types[side].tolist(), offs[side].tolist(), sizes[side].tolist(), misc,
                                         strict=True)), e, attrs[0].trailer(TIME), build_ids)

    progress.update(0.35, "decoding samples")
    is_sample = types == records.SAMPLE
    s_offs, s_sizes = offs[is_sample], sizes[is_sample]
    id_keys = _u64_bits([i for a in attrs for i in a.ids])
    id_attrs = np.asarray([k for k, a in enumerate(attrs) for _i in a.ids], np.int64)
    order = np.argsort(id_keys)
    table, ok, bad = records.decode_samples(
        buf, s_offs, s_sizes, big, _u64_bits([a.sample_type for a in attrs]),
        _u64_bits([a.read_format for a in attrs]), _u64_bits([a.branch_sample_type for a in attrs]),
        _u64_bits([a.sample_regs_user for a in attrs]), id_keys[order], id_attrs[order])
    if bad:
        sink.diagnostic(None, "perf.sample", f"{int(bad):,} samples do not fit their records: left out")
    table, s_offs = table[ok], s_offs[ok]
    lo, hi = (5, 4) if big else (4, 5)  # each record header's misc (u16 at +4), without a loop per sample
    s_misc = buf[s_offs + lo].astype(np.int64) | buf[s_offs + hi].astype(np.int64) << 8
    chain_off, chain = records.gather_chains(buf, table, big)
    pid = table[:, 2].astype(np.int64)
    pid = np.where(pid >= 1 << 31, pid - (1 << 32), pid)
    kernel_build_id = build_ids.get(KERNEL_MODULE)
    release = head.features.get("osrelease")
    namer = Namer(procs, os.path.dirname(os.path.abspath(path)), paths, kernel_build_id,
                  release if isinstance(release, str) else None)
    user_off, user = _unwind(sink, progress.part(0.4, 0.55), data, buf, table, attrs, head.features, pid,
                             procs, namer, big)
    chain_off, chain = _join_chains(table[:, 1].astype(np.int64), chain_off, chain, user_off, user)

    progress.update(0.55, "naming addresses")
    w = SamplesWriter([("samples", "count"), ("period", "events")])
    entry_frame = _name_entries(w, namer, chain_off, chain, (s_misc & 7) == 1, pid, table[:, 4])
    leaf = _leaf_vaddrs(table, s_misc, pid, namer)
    tid = table[:, 3]
    tid = np.where(tid >= 1 << 31, tid - (1 << 32), tid)
    roots, threads = _roots_and_threads(w, procs, pid, tid, table[:, 4])
    if namer.kernel_unnamed:
        sink.diagnostic(None, "perf.kernel_names", "kernel frames are not named: no kallsyms of the recording's "
                        f"kernel ({release or 'release not recorded'}; this machine runs another) — put that "
                        "machine's /proc/kallsyms beside the recording as 'kallsyms'", "info")
    namer.close()
    events = [w.event(a.name) for a in attrs]
    event = np.asarray(events, np.int32)[table[:, 0]] if len(table) else np.zeros(0, np.int32)
    if all(a.name.split(":")[0] in CLOCK_EVENTS for a in attrs):
        w.types[1] = ("period", "nanoseconds")
    progress.update(0.8, "building the stack tree")
    off, frames = _assemble(chain_off, entry_frame, roots)
    period = np.where(table[:, 6] >= 0, table[:, 6], 1).astype(np.float64)
    columns = [np.ones(len(table)), period]
    names = [a.name for a in attrs]
    if off_cpu.SCHED_SWITCH in names:
        w.types.append(("off_cpu", "nanoseconds"))
        columns.append(_off_cpu(sink, data, buf, (types, offs, sizes), table, tid, attrs, names, big))
    if not len(table):
        raise DumpFormatError(path, "holds no samples", head.data_offset)
    has_time = bool((table[:, 4] >= 0).all())
    w.write_arrays(sink, off, frames, True, columns, threads, event,
                   table[:, 4] if has_time else None, {
                       "samples.source": "perf.data", "perf.features": head.features,
                       "perf.events": [a.name for a in attrs], "perf.pipe": head.pipe,
                       "perf.big_endian": big, "perf.binaries": namer.looked,
                       "perf.machine": MACHINES.get(str(head.features.get("arch")))}, leaf_vaddr=leaf,
                   cpu=table[:, 5] if bool((table[:, 5] >= 0).all()) else None)
    progress.update(1.0, "done")


def _unwind(sink: IndexSink, progress: Progress, data: bytes, buf: np.ndarray, table: np.ndarray,
            attrs: list[Attr], features: dict, pid: np.ndarray, procs: Processes, namer: Namer,
            big: bool) -> tuple[np.ndarray, np.ndarray]:
    """`--call-graph dwarf` samples' user frames (user_stacks.py), as CSR over the samples (none for the others);
    an address's image and whether it is mapped are looked up once per process."""
    n = len(table)
    off = np.zeros(n + 1, np.int64)
    todo = np.flatnonzero((table[:, 9] == ABI_64) & (table[:, 13] > 0) & (table[:, 10] >= 0))
    arch = features.get("arch")
    machine = MACHINES.get(arch) if isinstance(arch, str) else None
    if not len(todo):
        return off, np.zeros(0, np.int64)
    if machine is None:
        sink.diagnostic(None, "perf.unwind", f"DWARF-mode user stacks of a {arch or 'unnamed'} machine are not "
                        "unwound: each such sample is its ip", "info")
        return off, np.zeros(0, np.int64)
    images: dict[tuple[int, int], Image | None] = {}
    counts = np.zeros(n, np.int64)
    got: list[list[int]] = []
    for k, i in enumerate(todo.tolist()):
        if k % 256 == 0:
            progress.update(k / len(todo), f"unwinding user stacks ({k:,} of {len(todo):,})")
        p, t = int(pid[i]), int(table[i, 4])

        def image_at(addr: int, p: int = p, t: int = t) -> Image | None:
            key = (p, addr)
            if key not in images:
                images[key] = namer.image(p, addr, t)
            return images[key]

        def mapped(addr: int, p: int = p, t: int = t) -> bool:
            return procs.mapping(p, addr, t) is not None

        regs = registers(buf, int(table[i, 10]), attrs[int(table[i, 0])].sample_regs_user, machine, big)
        pos, size = int(table[i, 11]), int(min(table[i, 13], table[i, 12]))
        stack = StackCopy(regs.get(SP[machine], 0), data[pos:pos + size], big, mapped)
        pcs = unwind_user(machine, regs, stack, image_at)
        counts[i] = len(pcs)
        got.append(pcs)
    off[1:] = np.cumsum(counts)
    return off, np.fromiter((v for pcs in got for v in pcs), np.int64, int(off[-1])) if off[-1] else \
        np.zeros(0, np.int64)


def _name_entries(w: SamplesWriter, namer: Namer, chain_off: np.ndarray, chain: np.ndarray,
                  sample_kernel: np.ndarray, pid: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Each call-chain entry's frame (-1 for the context markers): every distinct (process, address) — one
    (kernel, address) for the kernel's — named once, as perf script names it (at the first sample's time)."""
    kinds = records.entry_kinds(chain_off, chain, sample_kernel)
    counts = np.diff(chain_off)
    owner = np.repeat(np.arange(len(counts)), counts)
    real = np.flatnonzero(kinds >= 0)
    in_kernel = kinds[real] == 1
    ids, firsts = records.dedup_pairs(np.where(in_kernel, -1, pid[owner[real]]), chain[real])
    frames = np.empty(len(firsts), np.int32)
    for k, j in enumerate(real[firsts].tolist()):
        v = int(chain[j]) & ((1 << 64) - 1)  # kernel addresses are above 2**63
        if kinds[j] == 1:
            name, module = namer.kernel(v)
        else:
            i = int(owner[j])
            name, module = namer.user(int(pid[i]), v, int(time[i]))
        frames[k] = w.frame(name, module, None, "kernel" if kinds[j] == 1 else "user")
    out = np.full(len(chain), -1, np.int32)
    out[real] = frames[ids]
    return out


def _roots_and_threads(w: SamplesWriter, procs: Processes, pid: np.ndarray, tid: np.ndarray, time: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's root frame (its thread's command at the sample's time, as perf script's comm) and thread,
    worked out once per (process, thread) — per sample only for a thread renamed while sampled."""
    roots = np.empty(len(tid), np.int32)
    threads = np.empty(len(tid), np.int32)
    ids, firsts = records.dedup_pairs(pid, tid)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(len(firsts) + 1))
    for k, i in enumerate(firsts.tolist()):
        p, t = int(pid[i]), int(tid[i])
        mine = order[bounds[k]:bounds[k + 1]]
        renamed = len(procs.comms.get(t, ())) > 1
        for at in (mine.tolist() if renamed else [int(mine[0])]):
            comm = procs.comm(t, int(time[at])) or f":{t}"
            where = [at] if renamed else mine
            roots[where] = w.frame(comm, None, None, "process")
            threads[where] = w.thread(p, t, comm)
    return roots, threads


def _leaf_vaddrs(table: np.ndarray, misc: np.ndarray, pid: np.ndarray, namer: Namer) -> np.ndarray:
    """Each user sample's ip as the virtual address in its binary (-1 for kernel samples and binaries not
    here), each (process, ip) looked up once."""
    out = np.full(len(table), -1, np.int64)
    user = np.flatnonzero((misc & 7) != 1)
    ids, firsts = records.dedup_pairs(pid[user], table[user, 1])
    got = np.asarray([namer.vaddr(int(pid[user[f]]), int(table[user[f], 1]) & ((1 << 64) - 1),
                                  int(table[user[f], 4])) for f in firsts.tolist()], np.int64)
    out[user] = got[ids] if len(got) else -1
    return out


def _off_cpu(sink: IndexSink, data: bytes, buf: np.ndarray, recs: tuple[np.ndarray, np.ndarray, np.ndarray],
             table: np.ndarray, tid: np.ndarray, attrs: list[Attr], names: list[str], big: bool) -> np.ndarray:
    """Each sched_switch sample's off-CPU nanoseconds (off_cpu.py), 0 for the other samples."""
    is_switch = table[:, 0] == names.index(off_cpu.SCHED_SWITCH)
    r_tid, r_time, r_out = off_cpu.switch_records(buf, *recs, attrs[0], big)
    in_tid, in_time = [r_tid[~r_out]], [r_time[~r_out]]
    at = off_cpu.next_pid_offset(data)
    raw = table[is_switch, 14]
    if at is not None and len(raw) and (raw >= 0).all() and (table[is_switch, 15] >= at + 4).all():
        in_tid.append(off_cpu.gather(buf, raw + at, 4, big))
        in_time.append(table[is_switch, 4])
    ins = np.concatenate(in_tid), np.concatenate(in_time)
    mine = np.isin(ins[0], tid[is_switch])
    if not mine.any():  # a per-thread recording without --switch-events
        sink.diagnostic(None, "perf.off_cpu", "off-CPU times run to each thread's next sample (record with "
                        "--switch-events for exact ones)", "info")
        ins = tid, table[:, 4]
    return off_cpu.off_cpu_ns(tid, table[:, 4], is_switch, ins, (r_tid[r_out], r_time[r_out]))


@numba.njit(cache=True, nogil=True)
def _join_chains(ips: np.ndarray, chain_off: np.ndarray, chain: np.ndarray, user_off: np.ndarray,
                 user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's call chain (the kernel's, and the user part with frame pointers), then the user frames
    unwound from its stack copy after a PERF_CONTEXT_USER marker; a sample with neither, its ip alone."""
    n = len(ips)
    off = np.zeros(n + 1, np.int64)
    for i in range(n):
        c, u = chain_off[i + 1] - chain_off[i], user_off[i + 1] - user_off[i]
        off[i + 1] = off[i] + (c if c or u else 1) + (u + 1 if u else 0)
    out = np.empty(off[-1], np.int64)
    for i in range(n):
        k = off[i]
        c, u = chain_off[i + 1] - chain_off[i], user_off[i + 1] - user_off[i]
        for j in range(c):
            out[k] = chain[chain_off[i] + j]
            k += 1
        if not c and not u:
            out[k] = ips[i]
        if u:
            out[k] = CONTEXT_USER
            k += 1
            for j in range(u):
                out[k] = user[user_off[i] + j]
                k += 1
    return off, out
